package dev.jacobi.cli;

/**
 * A subcommand that a module on the class path adds to {@code jacobi}, found through {@link java.util.ServiceLoader}:
 * the sweep module's {@code sweep}, which the launcher puts on the class path for that command only.
 */
public interface Subcommand {
    /** The picocli command object (its {@code @Command} name is the subcommand's name). */
    Object command();
}
