import { describe, expect, it } from 'vitest';
import { assertJava, JavaMissingError, parseJavaMajor } from '../../../local/java';

describe('parseJavaMajor', () => {
  it('reads the modern scheme', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
  });

  it('reads the pre-9 scheme as its minor number', () => {
    expect(parseJavaMajor('java version "1.8.0_402"')).toBe(8);
  });

  it('is undefined without a version', () => {
    expect(parseJavaMajor('command not found')).toBeUndefined();
  });
});

describe('assertJava', () => {
  it('explains how to install Java when the command is missing', () => {
    expect(() => assertJava('/nonexistent/java')).toThrow(JavaMissingError);
    expect(() => assertJava('/nonexistent/java')).toThrow(
      /apt-get install openjdk-17-jre-headless/,
    );
  });
});
