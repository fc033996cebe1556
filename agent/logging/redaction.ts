/**
 * Log fields pino replaces with "[redacted]", wherever they are nested up to two levels
 * (a configuration section, a request): the web page's access token, the MQTT password,
 * and the headers that carry credentials. A secret must not reach a log file even when a
 * future log line passes a whole object.
 */
export const REDACTED_LOG_PATHS = [
  'token', '*.token', '*.*.token',
  'password', '*.password', '*.*.password',
  'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie',
];
