package dev.jacobi.cli;


/** Entry point of the {@code jacobi} command-line tool; see {@link Cli}. */
public final class Main {
    private Main() {
    }

    /** Runs the tool and exits with its code. */
    public static void main(String[] args) {
        System.exit(Cli.run(args));
    }
}
