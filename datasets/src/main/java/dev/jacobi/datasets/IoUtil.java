package dev.jacobi.datasets;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/** Bounded, defensive reading shared by the parsers. */
final class IoUtil {
    private IoUtil() {
    }

    /** A format error that already names the file and field; not wrapped again. */
    static final class FormatException extends IOException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    static FormatException fail(String file, String field, String problem) {
        return new FormatException(file + ": " + field + ": " + problem);
    }

    /** {@code in}, gunzipped if it starts with the gzip magic {@code 1f 8b}. */
    static InputStream maybeGunzip(InputStream in) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
        b.mark(2);
        int b0 = b.read();
        int b1 = b.read();
        b.reset();
        return b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(b, 1 << 16), 1 << 16) : b;
    }

    /**
     * Exactly {@code n} bytes of {@code in}. The buffer grows with the data that actually arrives, so a forged size
     * costs no more memory than the stream holds.
     */
    static byte[] readExactly(InputStream in, int n, String file, String field) throws IOException {
        byte[] buf = new byte[Math.min(n, 1 << 16)];
        int filled = 0;
        while (filled < n) {
            if (filled == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(n, 2L * buf.length));
            }
            int r = in.read(buf, filled, buf.length - filled);
            if (r < 0) {
                throw fail(file, field, "truncated: " + n + " bytes declared, only " + filled + " present");
            }
            filled += r;
        }
        return buf;
    }

    /** All of {@code in}, refusing more than {@code max} bytes. */
    static byte[] readAll(InputStream in, long max, String file) throws IOException {
        byte[] buf = new byte[1 << 16];
        int filled = 0;
        while (true) {
            if (filled == buf.length) {
                if (buf.length >= max) {
                    throw fail(file, "size", "larger than " + max + " bytes");
                }
                buf = Arrays.copyOf(buf, (int) Math.min(max, 2L * buf.length));
            }
            int r = in.read(buf, filled, buf.length - filled);
            if (r < 0) {
                return Arrays.copyOf(buf, filled);
            }
            filled += r;
        }
    }

    /** Runs a parse, turning a low-level I/O error (bad gzip, EOF) into one that names the file. */
    static <T> T named(String file, IoCall<T> call) throws IOException {
        try {
            return call.run();
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException(file + ": unreadable data: " + e, e);
        }
    }

    /** A parse step that may throw {@link IOException}. */
    interface IoCall<T> {
        T run() throws IOException;
    }
}
