// tests/data/config/java/PropsDump.java: what java.util.Properties.load makes of each file.
// Used by tests/integration/props_java_test.c to compare our parser with the JDK's.
// For each FILE it writes FILE.java: the sorted "key TAB value" lines, escaped (backslash,
// tab, newline, CR and form feed as two-character escapes; other non-printable or non-ASCII
// characters as a backslash, 'u' and four hex digits; a lone surrogate as U+FFFD because
// UTF-8 cannot carry one), or the single line ERROR when load() refuses the file.
// (No backslash-u sequences in comments: javac would read them as Unicode escapes.)
import java.io.*;
import java.util.*;
public class PropsDump {
    static String fffd(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) b.append('\uFFFD'); else b.append(c);
        }
        return b.toString();
    }
    static String esc(String s) {
        s = fffd(s);
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\\') b.append("\\\\");
            else if (c == '\t') b.append("\\t");
            else if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\f') b.append("\\f");
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04X", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
    public static void main(String[] a) throws Exception {
        for (String f : a) {
            Properties p = new Properties();
            try (Reader r = new InputStreamReader(new FileInputStream(f), "UTF-8")) {
                p.load(r);
                TreeMap<String, String> m = new TreeMap<>();
                for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
                StringBuilder out = new StringBuilder();
                for (Map.Entry<String, String> e : m.entrySet()) out.append(esc(e.getKey())).append('\t').append(esc(e.getValue())).append('\n');
                try (Writer w = new OutputStreamWriter(new FileOutputStream(f + ".java"), "UTF-8")) { w.write(out.toString()); }
            } catch (IllegalArgumentException e) {
                try (Writer w = new OutputStreamWriter(new FileOutputStream(f + ".java"), "UTF-8")) { w.write("ERROR\n"); }
            }
        }
    }
}
