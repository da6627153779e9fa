package dev.jacobi.cli;

import dev.jacobi.examples.Examples;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jacobi example NAME [--tiny]}: runs one of the programs in {@code examples/}. */
@Command(name = "example", mixinStandardHelpOptions = true,
        description = "Run one of the example programs in examples/ (their source is the documentation): "
                + "mlp-mnist, cnn-gradient-penalty, hessian-eigen, conv-spectral-norms, certified-lipschitz, custom-op.",
        footer = {"%nExamples:", "  jacobi example hessian-eigen", "  jacobi example mlp-mnist --tiny"})
final class ExampleCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "the example's name", paramLabel = "NAME")
    String name;

    @Parameters(index = "1..*", description = "passed to the example (--tiny: the small sizes of the CI run)",
            paramLabel = "ARG")
    List<String> args = List.of();

    @Override
    public Integer call() throws Exception {
        Examples.run(name, args.toArray(new String[0]));
        return 0;
    }
}
