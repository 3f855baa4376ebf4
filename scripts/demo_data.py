#!/usr/bin/env python3
"""Writes demo records for one topic as "key<TAB>json" lines on stdout, with a progress bar on
stderr. A few records are deliberately invalid; their keys and reasons go to --invalid FILE."""
import argparse, json, random, sys

p = argparse.ArgumentParser()
p.add_argument("topic", choices=["users", "orders"])
p.add_argument("count", type=int)
p.add_argument("--invalid", required=True, help="append 'topic key reason' lines here")
a = p.parse_args()
rnd = random.Random(42 if a.topic == "users" else 7)
cities = ["Lisbon", "Osaka", "Austin", "Nairobi", "Oslo", "Lima", "Pune", "Turin"]
tags = ["vip", "beta", "newsletter", "mobile", "gift", "b2b"]
bad = {}  # index -> reason
for i in rnd.sample(range(a.count), 6):
    bad[i] = rnd.choice(["malformed JSON", "field name over 15 bytes", "missing key field"])

out = sys.stdout
inv = open(a.invalid, "a")
step = max(1, a.count // 50)
for i in range(a.count):
    if a.topic == "users":
        key = "u-%06d" % i
        rec = {"name": "user %d" % i, "email": "user%d@example.com" % i, "age": 18 + i % 60,
               "score": round(rnd.random() * 100, 3), "active": i % 3 != 0,
               "tags": rnd.sample(tags, 2), "address": {"city": rnd.choice(cities), "zip": "%05d" % (i % 99999)}}
    else:
        key = "o-%06d" % i
        rec = {"order_id": key, "user_id": "u-%06d" % rnd.randrange(a.count), "amount": i % 500 + 0.99,
               "currency": rnd.choice(["EUR", "USD", "JPY"]), "status": rnd.choice(["new", "paid", "shipped"]),
               "items": [{"sku": "sku-%d" % rnd.randrange(1000), "qty": rnd.randrange(1, 5)}
                         for _ in range(rnd.randrange(1, 4))],
               "shipping": {"method": rnd.choice(["post", "courier"]), "days": rnd.randrange(1, 9)}}
    text = json.dumps(rec, separators=(",", ":"))
    reason = bad.get(i)
    if reason == "malformed JSON":
        text = text[:-5]
    elif reason == "field name over 15 bytes":
        if a.topic == "users":
            rec["a_field_name_that_is_too_long"] = 1
        else:
            reason = "missing key field"
        text = json.dumps(rec, separators=(",", ":"))
    if reason == "missing key field":
        if a.topic == "orders":
            del rec["order_id"]
            text = json.dumps(rec, separators=(",", ":"))
        else:
            reason = "malformed JSON"
            text = text[:-5]
    if reason:
        inv.write("%s %s %s\n" % (a.topic, key, reason))
    out.write(key + "\t" + text + "\n")
    if i % step == 0 or i == a.count - 1:
        done = (i + 1) * 40 // a.count
        sys.stderr.write("\r  %-6s [%s%s] %6d/%d" % (a.topic, "#" * done, "." * (40 - done), i + 1, a.count))
sys.stderr.write("\n")
