package org.ctnet.trainer.data;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CSV in and out. Reading goes through Jackson's CSV module (RFC 4180: quoted fields with commas,
 * quotes and newlines, as spreadsheets write them); writing quotes what needs quoting.
 */
public final class Csv {
  private static final CsvMapper MAPPER = new CsvMapper();

  private Csv() {}

  /** Every row of a CSV file, the header first; blank lines skipped, a byte-order mark dropped. */
  public static List<String[]> read(Path file) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        MappingIterator<String[]> it = MAPPER.readerFor(String[].class)
            .with(CsvParser.Feature.WRAP_AS_ARRAY).with(CsvParser.Feature.SKIP_EMPTY_LINES).readValues(in)) {
      while (it.hasNextValue()) {
        String[] row = it.nextValue();
        if (rows.isEmpty() && row.length > 0) {
          row[0] = row[0].replace("\uFEFF", "");
        }
        if (row.length == 1 && row[0].isBlank()) {
          continue;
        }
        rows.add(row);
      }
    } catch (RuntimeException e) {
      throw new IOException("malformed CSV " + file + ": " + e.getMessage(), e);
    }
    return rows;
  }

  public static String quote(String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r")) {
      return '"' + value.replace("\"", "\"\"") + '"';
    }
    return value;
  }

  public static String row(Object... values) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(quote(String.valueOf(values[i])));
    }
    return sb.toString();
  }
}
