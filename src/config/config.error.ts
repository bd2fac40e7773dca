/** A setting or config file problem: the message names the variable or YAML path, never a secret's value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
