package dev.jacobi.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jacobi.core.Rng;
import dev.jacobi.nn.*;
import org.junit.jupiter.api.Test;

/** Written as a user writes it: a wildcard import of the layers package, outside the library's packages. */
class WildcardImportTest {
    @Test
    void layersPackageImportsWithoutClashingWithJavaLang() {
        Layer model = new Sequential(new Linear(3, 4, new Rng(1)), new ReLU(), new Linear(4, 2, new Rng(2)));
        assertEquals(4, model.parameters().size());
        // a class of java.lang's name (java.lang.Module) would make `Module` ambiguous under this import
        assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.jacobi.nn.Module"));
    }
}
