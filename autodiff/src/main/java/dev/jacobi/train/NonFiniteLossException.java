package dev.jacobi.train;

/**
 * Training stopped because a term of the objective was NaN or infinite. It is thrown before that step's backward
 * pass, so the parameters are those after the previous step, and no checkpoint of the failing epoch is written.
 */
public final class NonFiniteLossException extends ArithmeticException {
    private static final long serialVersionUID = 1L;
    private final int epoch;
    private final long step;
    private final String term;

    /**
     * The exception for {@code term} (e.g. {@code loss}, {@code penalty grad-l2}) with {@code value}; {@code cause}
     * names the first non-finite tensor found (the batch's inputs or a parameter), or says none was.
     */
    NonFiniteLossException(int epoch, long step, String term, double value, String cause) {
        super("Trainer: non-finite " + term + " (" + value + ") at step " + step + " of epoch " + epoch + ": " + cause
                + "; training stopped, nothing saved for this epoch");
        this.epoch = epoch;
        this.step = step;
        this.term = term;
    }

    /** The zero-based epoch. */
    public int epoch() {
        return epoch;
    }

    /** The zero-based global step. */
    public long step() {
        return step;
    }

    /** Which term was non-finite: {@code loss} or {@code penalty <name>}. */
    public String term() {
        return term;
    }
}
