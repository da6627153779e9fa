package dev.jacobi.cli.run;

import java.io.PrintStream;

/**
 * A one-line progress bar per epoch with loss, accuracy and examples per second. On a terminal it redraws in place;
 * otherwise (logs, CI) it prints only the finished line.
 */
final class Progress {
    private final PrintStream out;
    private final boolean tty = System.console() != null;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private long lastDraw;

    Progress(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    void update(int done, int examples, double loss, double acc) {
        long now = System.nanoTime();
        if (tty && (now - lastDraw > 100_000_000L || done == total)) {
            out.print("\r" + line(done, examples, loss, acc));
            out.flush();
            lastDraw = now;
        }
    }

    void finish(int examples, double loss, double acc) {
        out.print((tty ? "\r" : "") + line(total, examples, loss, acc) + "\n");
        out.flush();
    }

    String line(int done, int examples, double loss, double acc) {
        int width = 24;
        int fill = (int) Math.round(width * (double) done / total);
        double secs = (System.nanoTime() - start) / 1e9;
        // a model without accuracy (a regression, a critic) shows loss and throughput only
        String accuracy = Double.isNaN(acc) ? "" : String.format("  acc %5.1f%%", 100 * acc);
        return String.format("%-22s [%s%s] %3d%%  loss %.4f%s  %6.0f ex/s", label, "=".repeat(fill),
                " ".repeat(width - fill), 100 * done / total, loss, accuracy, examples / Math.max(secs, 1e-9));
    }
}
