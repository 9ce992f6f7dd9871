// A mistake in the configuration (environment or YAML): the message is one line naming the setting, what is
// wrong with its value and how to fix it. The CLI prints it as it is and exits with 78 (EX_CONFIG).
export class ConfigError extends Error {
  override name = 'ConfigError';
}
