package dev.jacobi.cli.run;

import dev.jacobi.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Report files of the CLI, all written atomically: text, JSON and PNG line charts. */
public final class Outputs {
    private Outputs() {
    }

    /** Held while a file is written, so that a second Ctrl-C or SIGTERM never exits half-way through a write. */
    static final Object LOCK = new Object();

    public static void text(Path file, String content) throws IOException {
        synchronized (LOCK) {
            AtomicFiles.write(file, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
        }
    }

    public static void json(Path file, Object value) throws IOException {
        text(file, Json.write(value) + "\n");
    }

    /** A line chart with one series per entry of {@code series} (name → [x values, y values]). */
    public static void lineChart(Path file, String title, String xLabel, String yLabel, Map<String, double[][]> series)
            throws IOException {
        lineChart(file, title, xLabel, yLabel, series, false);
    }

    /**
     * A line chart with one series per entry of {@code series} (name → [x values, y values] or [x, y, error bars]),
     * on a logarithmic x axis if {@code logX}.
     */
    public static void lineChart(Path file, String title, String xLabel, String yLabel, Map<String, double[][]> series,
                                 boolean logX) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(720).height(440).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel)
                .build();
        chart.getStyler().setMarkerSize(6);
        chart.getStyler().setXAxisLogarithmic(logX);
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[][] v = e.getValue();
            (v.length > 2 ? chart.addSeries(e.getKey(), v[0], v[1], v[2]) : chart.addSeries(e.getKey(), v[0], v[1]))
                    .setMarker(SeriesMarkers.CIRCLE);
        }
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** A markdown table. */
    public static String table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        sb.append("---|".repeat(header.size())).append('\n');
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return sb.toString();
    }
}
