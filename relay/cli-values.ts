// Parsers for command-line values, shared by every subcommand: a bad value
// becomes commander's InvalidArgumentError with a sentence that says what
// to give instead, which the program turns into exit 2.

import { InvalidArgumentError } from 'commander';

export function integer(min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`use a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

export function oneOf<T extends string>(...choices: T[]) {
  return (raw: string): T => {
    if (!(choices as string[]).includes(raw)) throw new InvalidArgumentError(`use one of: ${choices.join(', ')}`);
    return raw as T;
  };
}
