/** A sweeper setting that cannot work (a rate of zero, a budget below nothing). */
export class InvalidSweeperSettingError extends Error {
  override readonly name = 'InvalidSweeperSettingError';
}

/** One kept certificate could not be deleted this run; its entry stays for the next one. */
export class RetiredCertificateNotDeleted extends Error {
  override readonly name = 'RetiredCertificateNotDeleted';
}
