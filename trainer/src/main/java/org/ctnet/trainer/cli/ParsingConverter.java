package org.ctnet.trainer.cli;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * An option value read by a domain parser whose IllegalArgumentException names what is allowed:
 * picocli reports it as a usage error (exit 2) with that message.
 */
abstract class ParsingConverter<T> implements ITypeConverter<T> {
  private final Function<String, T> parser;

  ParsingConverter(Function<String, T> parser) {
    this.parser = parser;
  }

  @Override
  public T convert(String value) {
    try {
      return parser.apply(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
