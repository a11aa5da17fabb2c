/** Device and CA certificates over restJson1. */
import { z } from 'zod';
import { InvalidRequestException } from '../errors.ts';
import { type RestRoute, route } from '../interfaces.ts';
import type { Partition } from '../registry/arns.ts';
import type { IotRegistry } from '../registry/iot-registry.ts';
import type { CaCertificateRecord, CertificateRecord } from '../registry/records.ts';
import { epochSeconds, label, ok, optional, pageOf, queryBoolean, queryString } from './request.ts';

const csrBody = z.object({ certificateSigningRequest: z.string().min(1) });
const registerCaBody = z.object({
  caCertificate: z.string().min(1),
  verificationCertificate: z.string().min(1).optional(),
  certificateMode: z.enum(['DEFAULT', 'SNI_ONLY']).optional(),
  registrationConfig: z.object({}).passthrough().optional(),
  tags: z.array(z.object({ Key: z.string(), Value: z.string().optional() })).optional(),
});
const registerBody = z.object({
  certificatePem: z.string().min(1),
  caCertificatePem: z.string().min(1).optional(),
  status: z.string().optional(),
});
const registerWithoutCaBody = z.object({ certificatePem: z.string().min(1), status: z.string().optional() });

export function certificateRoutes(registry: IotRegistry, partition: Partition): RestRoute[] {
  const certificates = registry.certificates;
  const idOf = (c: CertificateRecord | CaCertificateRecord) => ({
    certificateArn: c.certificateArn,
    certificateId: c.certificateId,
  });
  // What DescribeCertificate and DescribeCACertificate both answer.
  const described = (c: CertificateRecord | CaCertificateRecord) => ({
    ...idOf(c),
    status: c.status,
    certificatePem: c.certificatePem,
    ownedBy: partition.accountId,
    creationDate: epochSeconds(c.creationDate),
    lastModifiedDate: epochSeconds(c.lastModifiedDate),
    customerVersion: c.customerVersion,
    generationId: c.generationId,
    validity: { notBefore: epochSeconds(c.notBefore), notAfter: epochSeconds(c.notAfter) },
    certificateMode: c.certificateMode,
  });
  // One page of ListCertificates or ListCACertificates, from the query AWS sends.
  const listed = (
    request: Parameters<RestRoute['handle']>[0],
    list: typeof certificates.list | typeof certificates.listCas,
  ) => {
    const page = list.call(
      certificates,
      ...pageOf(request),
      queryBoolean(request, 'isAscendingOrder') ?? false,
    );
    return { page, nextMarker: page.next };
  };
  return [
    route('CreateKeysAndCertificate', 'POST', '/keys-and-certificate', async (request) => {
      const { record, keys } = await certificates.createKeysAndCertificate({
        setAsActive: queryBoolean(request, 'setAsActive') ?? false,
      });
      return ok({
        ...idOf(record),
        certificatePem: record.certificatePem,
        keyPair: { PublicKey: keys.publicKeyPem, PrivateKey: keys.privateKeyPem },
      });
    }),
    route('CreateCertificateFromCsr', 'POST', '/certificates', async (request) => {
      const body = csrBody.safeParse(request.body);
      if (!body.success) throw new InvalidRequestException('certificateSigningRequest is required');
      const record = await certificates.createFromCsr(body.data.certificateSigningRequest, {
        setAsActive: queryBoolean(request, 'setAsActive') ?? false,
      });
      return ok({ ...idOf(record), certificatePem: record.certificatePem });
    }),
    route('GetRegistrationCode', 'GET', '/registrationcode', () => {
      return ok({ registrationCode: certificates.registrationCode() });
    }),
    route('RegisterCACertificate', 'POST', '/cacertificate', (request) => {
      const body = registerCaBody.parse(request.body);
      const record = certificates.registerCa({
        caCertificate: body.caCertificate,
        setAsActive: queryBoolean(request, 'setAsActive') ?? false,
        allowAutoRegistration: queryBoolean(request, 'allowAutoRegistration') ?? false,
        certificateMode: body.certificateMode ?? 'DEFAULT',
        ...optional('verificationCertificate', body.verificationCertificate),
      });
      return ok(idOf(record));
    }),
    route('DescribeCACertificate', 'GET', '/cacertificate/{certificateId}', (request) => {
      const ca = certificates.describeCa(label(request, 'certificateId'));
      return ok({
        certificateDescription: { ...described(ca), autoRegistrationStatus: ca.autoRegistrationStatus },
      });
    }),
    route('ListCACertificates', 'GET', '/cacertificates', (request) => {
      const { page, nextMarker } = listed(request, certificates.listCas);
      return ok({
        certificates: page.items.map((c) => ({
          ...idOf(c),
          status: c.status,
          creationDate: epochSeconds(c.creationDate),
        })),
        nextMarker,
      });
    }),
    route('UpdateCACertificate', 'PUT', '/cacertificate/{certificateId}', (request) => {
      certificates.updateCa(
        label(request, 'certificateId'),
        queryString(request, 'newStatus'),
        queryString(request, 'newAutoRegistrationStatus'),
      );
      return ok();
    }),
    route('DeleteCACertificate', 'DELETE', '/cacertificate/{certificateId}', (request) => {
      certificates.deleteCa(label(request, 'certificateId'));
      return ok({});
    }),
    route('RegisterCertificate', 'POST', '/certificate/register', (request) => {
      const body = registerBody.parse(request.body);
      const record = certificates.register({
        certificatePem: body.certificatePem,
        ...optional('caCertificatePem', body.caCertificatePem),
        ...optional('setAsActive', queryBoolean(request, 'setAsActive')),
        ...optional('status', body.status),
      });
      return ok(idOf(record));
    }),
    route('RegisterCertificateWithoutCA', 'POST', '/certificate/register-no-ca', (request) => {
      const body = registerWithoutCaBody.parse(request.body);
      const record = certificates.registerWithoutCa({
        certificatePem: body.certificatePem,
        ...optional('status', body.status),
      });
      return ok(idOf(record));
    }),
    route('DescribeCertificate', 'GET', '/certificates/{certificateId}', (request) => {
      const c = certificates.describe(label(request, 'certificateId'));
      return ok({ certificateDescription: { ...described(c), caCertificateId: c.caCertificateId } });
    }),
    route('ListCertificates', 'GET', '/certificates', (request) => {
      const { page, nextMarker } = listed(request, certificates.list);
      return ok({
        certificates: page.items.map((c) => ({
          ...idOf(c),
          status: c.status,
          certificateMode: c.certificateMode,
          creationDate: epochSeconds(c.creationDate),
        })),
        nextMarker,
      });
    }),
    route('UpdateCertificate', 'PUT', '/certificates/{certificateId}', (request) => {
      const newStatus = queryString(request, 'newStatus');
      if (newStatus === undefined) throw new InvalidRequestException('newStatus is required');
      certificates.update(label(request, 'certificateId'), newStatus);
      return ok();
    }),
    route('DeleteCertificate', 'DELETE', '/certificates/{certificateId}', (request) => {
      certificates.delete(label(request, 'certificateId'), queryBoolean(request, 'forceDelete') ?? false);
      return ok();
    }),
  ];
}
