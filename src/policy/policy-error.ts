// A policy file that cannot be used: the message names the file, the setting
// (as a dotted path into the document) and what is wrong with its value.
export class PolicyError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(setting === '' ? problem : `${setting}: ${problem}`);
    this.name = 'PolicyError';
  }
}
