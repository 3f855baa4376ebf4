#!/usr/bin/env python3
"""Bench records: N lines "key<TAB>json", ~200-byte values with 8 fields (strings, ints, a
double, a bool, a small list), unique keys."""
import sys
n = int(sys.argv[1])
w = sys.stdout.write
cities = ["Lisbon", "Osaka", "Austin", "Nairobi", "Oslo", "Lima", "Pune", "Turin"]
for i in range(n):
    w('k%08d\t{"id":%d,"name":"Customer Number %08d of the Benchmark","email":"customer.%d@mail.example.com","city":"%s Central District","visits":%d,'
      '"balance":%d.%02d,"active":%s,"tags":["t%d","t%d","t%d"]}\n'
      % (i, i, i, i, cities[i % 8], i % 1000, i % 100000, i % 100, "true" if i % 2 else "false",
         i % 7, i % 11, i % 13))
