package dev.jacobi.sweep;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.jacobi.cli.Tasks;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The grid of a sweep, read from a YAML or JSON file: a base {@code jacobi train} configuration and the axes to vary.
 * Every combination of the axes' values is one point, which trains and evaluates as
 * {@code jacobi train BASE AXES && jacobi eval EVAL} would.
 *
 * <pre>
 * name: penalties            # optional: the file's name without its extension
 * base:                      # options of jacobi train, without the dashes
 *   model: mlp
 *   width: 32
 *   epochs: 1
 * eval:                      # options of jacobi eval (default: its defaults); false: no evaluation
 *   eps: [0.5, 1.0]
 *   examples: 200
 * axes:                      # each a list of values; the points are every combination, the first axis outermost
 *   penalty: [grad-l2, sn-pen]
 *   lambda: [0.01, 0.1, 1]   # with penalty: --reg PENALTY=LAMBDA (penalty may carry options: "hessian,k=5")
 *   seed: [0, 1]
 * </pre>
 *
 * Any option of {@code jacobi train} but {@code out}, {@code resume}, {@code threads} and {@code max-minutes} can be
 * in {@code base} or be an axis; {@code reg} takes a list (one {@code --reg} each). {@code penalty} and
 * {@code lambda} can also be set once in {@code base}.
 *
 * @param name   the sweep's name
 * @param axes   the axes, in order, with their values
 * @param points every combination, the first axis outermost
 */
public record Grid(String name, Map<String, List<Object>> axes, List<Point> points) {
    /**
     * One point of the grid.
     *
     * @param id     its name, from its axis values ({@code penalty-grad-l2_lambda-0.1_seed-0})
     * @param values its value on each axis
     * @param args   its task's command line ({@link Tasks#run}): {@code train ... [&& eval ...]}
     */
    public record Point(String id, Map<String, Object> values, List<String> args) {
        /** The same work as commands to type: {@code jacobi train ... --out DIR [&& jacobi eval ...]}. */
        public String command() {
            StringBuilder sb = new StringBuilder("jacobi");
            for (String a : args) {
                if (a.equals("&&")) {
                    sb.append(" --out DIR && jacobi");
                } else if (a.equals("eval")) {
                    sb.append(" eval --model DIR/model.safetensors");
                } else {
                    sb.append(' ').append(a.matches("[A-Za-z0-9._=,@/:+-]+") ? a : "'" + a + "'");
                }
            }
            return args.contains("&&") ? sb.toString() : sb + " --out DIR";
        }
    }

    /** Reads and expands the grid file {@code file} (YAML or JSON). */
    public static Grid load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no grid file there (want a YAML or JSON file)");
        }
        String stem = file.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
        return parse(Files.readString(file), file.toString(), stem);
    }

    /** Parses and expands a grid; {@code where} names it in errors, {@code defaultName} is used if it has none. */
    public static Grid parse(String text, String where, String defaultName) throws IOException {
        Object doc;
        try {
            doc = new ObjectMapper(new YAMLFactory()).readValue(text, Object.class);
        } catch (JacksonException e) {
            throw new IOException(where + ": not a valid YAML or JSON grid: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        }
        if (!(doc instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException(where + ": a grid is a mapping with base, eval and axes, not "
                    + describe(doc));
        }
        for (Object k : top.keySet()) {
            if (!List.of("name", "base", "eval", "axes").contains(String.valueOf(k))) {
                throw new IllegalArgumentException(where + ": unknown field '" + k + "'; a grid has name, base, eval"
                        + " and axes");
            }
        }
        String name = top.containsKey("name") ? String.valueOf(top.get("name")) : defaultName;
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException(where + ": name '" + name + "' must match [A-Za-z0-9._-]+ (it names"
                    + " the output directory)");
        }
        Map<String, Object> base = mapping(top.get("base"), where, "base");
        List<String> trainOptions = Tasks.trainOptions();
        for (String k : base.keySet()) {
            checkOption(k, trainOptions, where, "base");
        }
        List<String> evalArgs = evalArgs(top.get("eval"), where);
        Map<String, Object> rawAxes = mapping(top.get("axes"), where, "axes");
        if (rawAxes.isEmpty()) {
            throw new IllegalArgumentException(where + ": axes is empty; give at least one axis with its values,"
                    + " e.g. axes: {seed: [0, 1]}");
        }
        Map<String, List<Object>> axes = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : rawAxes.entrySet()) {
            String k = e.getKey();
            checkOption(k, trainOptions, where, "axes");
            if (base.containsKey(k)) {
                throw new IllegalArgumentException(where + ": '" + k + "' is both in base and an axis; keep one");
            }
            if (!(e.getValue() instanceof List<?> values) || values.isEmpty()) {
                throw new IllegalArgumentException(where + ": axes." + k + " must be a non-empty list of values, not "
                        + describe(e.getValue()));
            }
            Set<String> seen = new HashSet<>();
            for (Object v : values) {
                if (!seen.add(text(v, where, "axes." + k))) {
                    throw new IllegalArgumentException(where + ": axes." + k + " lists " + text(v, where, k)
                            + " twice");
                }
            }
            axes.put(k, List.copyOf(values));
        }
        boolean penalty = base.containsKey("penalty") || axes.containsKey("penalty");
        boolean lambda = base.containsKey("lambda") || axes.containsKey("lambda");
        if (penalty != lambda) {
            throw new IllegalArgumentException(where + ": " + (penalty ? "penalty needs lambda" : "lambda needs a"
                    + " penalty") + " (as an axis or in base): together they make --reg PENALTY=LAMBDA");
        }
        List<Point> points = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        expand(axes, new ArrayList<>(axes.keySet()), 0, new LinkedHashMap<>(), base, evalArgs, where, points, ids);
        return new Grid(name, axes, List.copyOf(points));
    }

    private static void expand(Map<String, List<Object>> axes, List<String> names, int i, Map<String, Object> values,
                               Map<String, Object> base, List<String> evalArgs, String where, List<Point> out,
                               Set<String> ids) {
        if (i == names.size()) {
            Map<String, Object> all = new LinkedHashMap<>(base);
            all.putAll(values);
            List<String> args = new ArrayList<>(List.of("train"));
            for (Map.Entry<String, Object> e : all.entrySet()) {
                String k = e.getKey();
                if (k.equals("penalty") || k.equals("lambda")) {
                    continue;
                }
                List<?> vs = e.getValue() instanceof List<?> l ? l : List.of(e.getValue());
                for (Object v : vs) {
                    if (v instanceof Boolean b) {
                        if (b) {
                            args.add("--" + k);
                        }
                    } else {
                        args.add("--" + k);
                        args.add(text(v, where, k));
                    }
                }
            }
            if (all.containsKey("penalty")) {
                String[] p = text(all.get("penalty"), where, "penalty").split(",", 2);
                args.add("--reg");
                args.add(p[0] + "=" + text(all.get("lambda"), where, "lambda") + (p.length > 1 ? "," + p[1] : ""));
            }
            args.addAll(evalArgs);
            StringBuilder id = new StringBuilder();
            for (Map.Entry<String, Object> e : values.entrySet()) {
                if (id.length() > 0) {
                    id.append('_');
                }
                id.append(e.getKey()).append('-').append(text(e.getValue(), where, e.getKey()));
            }
            String clean = id.toString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
            if (!ids.add(clean)) {
                throw new IllegalArgumentException(where + ": two points would share the name " + clean + "; make"
                        + " the axis values differ in more than punctuation and case");
            }
            out.add(new Point(clean, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values)), List.copyOf(args)));
            return;
        }
        for (Object v : axes.get(names.get(i))) {
            values.put(names.get(i), v);
            expand(axes, names, i + 1, values, base, evalArgs, where, out, ids);
        }
        values.remove(names.get(i));
    }

    private static List<String> evalArgs(Object eval, String where) {
        if (Boolean.FALSE.equals(eval)) {
            return List.of();
        }
        List<String> args = new ArrayList<>(List.of("&&", "eval"));
        if (eval == null || Boolean.TRUE.equals(eval)) {
            return args;
        }
        Map<String, Object> m = mapping(eval, where, "eval");
        List<String> options = Tasks.evalOptions();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            checkOption(e.getKey(), options, where, "eval");
            args.add("--" + e.getKey());
            if (e.getValue() instanceof List<?> l) {
                List<String> parts = new ArrayList<>();
                for (Object v : l) {
                    parts.add(text(v, where, "eval." + e.getKey()));
                }
                args.add(String.join(",", parts));
            } else {
                args.add(text(e.getValue(), where, "eval." + e.getKey()));
            }
        }
        return args;
    }

    private static void checkOption(String key, List<String> options, String where, String field) {
        if (key.equals("penalty") || key.equals("lambda")) {
            if (field.equals("eval")) {
                throw new IllegalArgumentException(where + ": eval." + key + " is a training setting; put it in base"
                        + " or axes");
            }
            return;
        }
        if (!options.contains("--" + key)) {
            throw new IllegalArgumentException(where + ": " + field + "." + key + ": " + (field.equals("eval")
                    ? "jacobi eval" : "jacobi train") + " has no option --" + key + " that a sweep may set; choose"
                    + " from " + String.join(", ", options.stream().map(o -> o.substring(2)).toList())
                    + (field.equals("eval") ? "" : ", penalty, lambda"));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> mapping(Object v, String where, String field) {
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + ": " + field + " must be a mapping of option to value, not "
                    + describe(v));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(String.valueOf(k), x));
        return out;
    }

    /**
     * A value as the command line spells it ({@code 0.0001}, not {@code 1.0E-4}); a list (several {@code --reg}) as
     * its values joined by {@code +}.
     */
    private static String text(Object v, String where, String field) {
        if (v instanceof List<?> l && !l.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Object x : l) {
                parts.add(text(x, where, field));
            }
            return String.join("+", parts);
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                return String.valueOf(d);
            }
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (v instanceof Number || v instanceof String || v instanceof Boolean) {
            return String.valueOf(v);
        }
        throw new IllegalArgumentException(where + ": " + field + " must be a number or a string, not "
                + describe(v));
    }

    private static String describe(Object v) {
        return v instanceof Map ? "a mapping" : v instanceof List ? "a list" : v == null ? "nothing" : "'" + v + "'";
    }
}
