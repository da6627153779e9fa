package dev.jacobi.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

/** Random corruptions of a valid file for robustness tests: truncation, byte flips, digit edits in the header. */
final class FileMutator {
    private FileMutator() {
    }

    /** A mutated copy of {@code b}; {@code headerEnd} bounds where header-aware edits (digits) land. */
    static byte[] mutate(byte[] b, Random r, int headerEnd) {
        byte[] m = b.clone();
        switch (r.nextInt(5)) {
            case 0 -> m = Arrays.copyOf(m, r.nextInt(m.length));
            case 1 -> {
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    m[r.nextInt(m.length)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> {
                // replace a digit or punctuation in the text header with another digit, '-' or ','
                int start = Math.min(headerEnd, m.length - 1);
                for (int k = 0; k < 50; k++) {
                    int i = start + r.nextInt(Math.max(1, Math.min(m.length, 200) - start));
                    if (i < m.length && (Character.isDigit(m[i]) || m[i] == ',' || m[i] == ']' || m[i] == ')')) {
                        m[i] = (byte) "0123456789-,9999".charAt(r.nextInt(16));
                        break;
                    }
                }
            }
            case 3 -> {
                int i = r.nextInt(m.length);
                byte[] ins = new byte[1 + r.nextInt(8)];
                Arrays.fill(ins, (byte) "9 ,-{[\"'".charAt(r.nextInt(8)));
                byte[] out = new byte[m.length + ins.length];
                System.arraycopy(m, 0, out, 0, i);
                System.arraycopy(ins, 0, out, i, ins.length);
                System.arraycopy(m, i, out, i + ins.length, m.length - i);
                m = out;
            }
            default -> {
                int i = r.nextInt(m.length);
                int len = 1 + r.nextInt(Math.min(16, m.length - i));
                byte[] out = new byte[m.length - len];
                System.arraycopy(m, 0, out, 0, i);
                System.arraycopy(m, i + len, out, i, m.length - i - len);
                m = out;
            }
        }
        return m;
    }

    /**
     * Replaces the content of {@code p} without truncating it to zero first: ext4 flushes files replaced that way on
     * close, which made 2,000 rewrites take seconds.
     */
    static void overwrite(Path p, byte[] b) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(b));
            ch.truncate(b.length);
        }
    }
}
