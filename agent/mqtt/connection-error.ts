/**
 * What a failed connection to the broker means, saying whose certificate failed and why.
 * mqtt.js hands on Node's TLS errors in OpenSSL's words ("unable to get local issuer
 * certificate", "tlsv13 alert certificate required"), which do not say whether this device
 * refused the broker's certificate or the broker refused the device's.
 */
export function describeConnectionError(err: Error & { code?: string }): string {
  // OpenSSL's own message is a multi-line dump around the words that matter, the alert.
  const message = /(tlsv1[0-9]?|sslv3) alert [a-z ]+/i.exec(err.message)?.[0].trim() ?? err.message.trim();
  const code = err.code ?? '';
  // This side checked the broker's certificate and refused it.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the broker's certificate was refused: it is not made for the host name in mqtt.url (${message})`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `the broker's certificate was refused: it ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet (is the clock right?)'} (${message})`;
  }
  if (/^(UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_SIGNATURE_FAILURE)$/.test(code)) {
    return `the broker's certificate was refused: it is not signed by the CA in mqtt.tls.ca (${message})`;
  }
  // The broker refused this device's certificate: it says so with a TLS alert.
  if (/alert certificate required/i.test(message)) {
    return `the broker requires a client certificate and none was sent: set mqtt.tls.cert and mqtt.tls.key (${message})`;
  }
  if (/alert certificate expired/i.test(message)) return `the broker refused this device's certificate (mqtt.tls.cert): it has expired (${message})`;
  if (/alert (unknown ca|bad certificate|certificate unknown|decrypt error)/i.test(message)) {
    return `the broker refused this device's certificate (mqtt.tls.cert): it is not signed by a CA the broker trusts (${message})`;
  }
  if (/key values mismatch/i.test(message)) return `mqtt.tls.key is not the key of the certificate in mqtt.tls.cert (${message})`;
  return message;
}
