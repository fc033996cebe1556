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

// scheme://user:password@host: the password part, up to the last @ before the host.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@"'<>]*):[^\s/@"'<>]*@/gi;
// A login link of the page servers (?token=...), should one ever be logged.
const TOKEN_PARAMETER = /([?&]token=)[^\s&"'#<>]+/gi;

/**
 * Text with the secrets it may carry replaced: the password of every URL with credentials
 * (mqtt://user:password@broker) and the value of a token parameter. Every log line and
 * every line `doctor` prints passes through this, whatever put the URL there.
 */
export function redactSecrets(text: string): string {
  return text.replace(URL_PASSWORD, '$1:[redacted]@').replace(TOKEN_PARAMETER, '$1[redacted]');
}
