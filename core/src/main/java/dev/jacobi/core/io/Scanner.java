package dev.jacobi.core.io;

import java.io.IOException;

/** The cursor shared by the hand-written header parsers ({@link Json} and the npy header literal). */
abstract class Scanner {
    final String s;
    final String where;
    private final String what;
    int i;

    /**
     * @param s     the text
     * @param where a name for error messages, e.g. the file
     * @param what  what is being parsed, for error messages, e.g. {@code bad JSON}
     */
    Scanner(String s, String where, String what) {
        this.s = s;
        this.where = where;
        this.what = what;
    }

    final void ws() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n'
                || s.charAt(i) == '\r')) {
            i++;
        }
    }

    final char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    final void expect(char c) throws IOException {
        if (peek() != c) {
            throw err("expected '" + c + "'");
        }
        i++;
    }

    /** An error naming the source, what was parsed, the offset and the text near it. */
    final IOException err(String msg) {
        String near = s.substring(Math.min(i, s.length()), Math.min(s.length(), i + 20)).replace("\n", "\\n");
        return new IOException(where + ": " + what + ": " + msg + " at offset " + i + " near \"" + near + "\"");
    }
}
