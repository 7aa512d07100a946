// Drives a Meridian server with fhir-kit-client, a FHIR client nobody on Meridian wrote, so the
// REST API is checked against someone else's reading of the spec, not only our own tests.
//
//   node client.js <fhirBaseUrl>
//
// Prints one JSON report on stdout: { ok, baseUrl, steps: [{ name, ok, status, details, error }] }
// and exits 1 when any step fails (2 on bad usage). Steps run in order and later ones use what
// earlier ones created; a step whose prerequisite failed fails too, naming what it lacked.
// tests/Meridian.Api.Tests/Interop/FhirKitClientInteropTests.cs runs this and asserts on the report.
import { randomUUID } from 'node:crypto';
import { Client } from 'fhir-kit-client';

const baseUrl = process.argv[2];
if (!baseUrl) {
  process.stderr.write('usage: node client.js <fhirBaseUrl>\n');
  process.exit(2);
}

const client = new Client({ baseUrl });
const steps = [];
const state = {};
// A fresh family name and identifier per run, so searches see only this run's resources even
// against a shared server.
const run = randomUUID().replaceAll('-', '').slice(0, 12);
const family = `Interop${run}`;
const identifier = { system: 'urn:meridian:interop', value: run };

/** The fetch Response fhir-kit-client attached to a result (status and headers). */
function http(result) {
  return Client.httpFor(result).response;
}

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function need(key) {
  expect(state[key] !== undefined, `prerequisite missing: ${key} (an earlier step failed)`);
  return state[key];
}

/** Runs one named step; body returns { status, details }. Failures are recorded, not thrown. */
async function step(name, body) {
  try {
    const { status, details } = await body();
    steps.push({ name, ok: true, status, details });
  } catch (error) {
    // fhir-kit-client rejects non-2xx answers with error.response = { status, data }.
    steps.push({
      name,
      ok: false,
      status: error?.response?.status ?? null,
      details: error?.response?.data ?? null,
      error: String(error?.message ?? error),
    });
  }
}

/** Expects fhir-kit-client to reject the call with this HTTP status; returns the error body. */
async function expectRejected(call, status) {
  try {
    const result = await call();
    const got = http(result)?.status;
    throw new Error(`expected HTTP ${status}, got ${got}`);
  } catch (error) {
    if (error?.response?.status === undefined) {
      throw error;
    }
    expect(error.response.status === status, `expected HTTP ${status}, got ${error.response.status}`);
    return error.response.data;
  }
}

function observation(subject, code, value) {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: subject },
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

function entryIds(bundle, mode) {
  return (bundle.entry ?? [])
    .filter((e) => mode === undefined || e.search?.mode === mode)
    .map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
}

await step('metadata', async () => {
  const cs = await client.capabilityStatement();
  expect(cs.resourceType === 'CapabilityStatement', `resourceType ${cs.resourceType}`);
  const rest = cs.rest?.[0];
  const patient = rest?.resource?.find((r) => r.type === 'Patient');
  expect(patient !== undefined, 'no Patient in rest[0].resource');
  return {
    status: http(cs).status,
    details: {
      resourceType: cs.resourceType,
      fhirVersion: cs.fhirVersion,
      kind: cs.kind,
      contentType: http(cs).headers.get('content-type'),
      patientInteractions: (patient.interaction ?? []).map((i) => i.code),
      patientSearchParams: (patient.searchParam ?? []).map((p) => p.name),
    },
  };
});

await step('create', async () => {
  const created = await client.create({
    resourceType: 'Patient',
    body: {
      resourceType: 'Patient',
      identifier: [identifier],
      name: [{ family, given: ['Ann'] }],
      gender: 'female',
      birthDate: '1970-01-01',
    },
  });
  const res = http(created);
  state.patientId = created.id;
  return {
    status: res.status,
    details: {
      id: created.id,
      versionId: created.meta?.versionId,
      lastUpdated: created.meta?.lastUpdated,
      location: res.headers.get('location'),
      etag: res.headers.get('etag'),
      lastModified: res.headers.get('last-modified'),
      family: created.name?.[0]?.family,
    },
  };
});

await step('read', async () => {
  const id = need('patientId');
  const read = await client.read({ resourceType: 'Patient', id });
  const res = http(read);
  state.patient = read;
  return {
    status: res.status,
    details: {
      id: read.id,
      versionId: read.meta?.versionId,
      etag: res.headers.get('etag'),
      family: read.name?.[0]?.family,
      birthDate: read.birthDate,
    },
  };
});

await step('update', async () => {
  const patient = need('patient');
  const body = { ...patient, birthDate: '1971-02-03' };
  // If-Match with the version read: the normal optimistic-concurrency round trip.
  const updated = await client.update({
    resourceType: 'Patient',
    id: patient.id,
    body,
    options: { headers: { 'If-Match': `W/"${patient.meta.versionId}"` } },
  });
  const res = http(updated);
  return {
    status: res.status,
    details: {
      id: updated.id,
      versionId: updated.meta?.versionId,
      etag: res.headers.get('etag'),
      birthDate: updated.birthDate,
    },
  };
});

await step('update-stale-if-match', async () => {
  const patient = need('patient');
  const outcome = await expectRejected(
    () =>
      client.update({
        resourceType: 'Patient',
        id: patient.id,
        body: { ...patient, birthDate: '1999-09-09' },
        options: { headers: { 'If-Match': 'W/"1"' } },
      }),
    412,
  );
  return { status: 412, details: { resourceType: outcome?.resourceType } };
});

await step('vread', async () => {
  const id = need('patientId');
  const v1 = await client.vread({ resourceType: 'Patient', id, version: '1' });
  const res = http(v1);
  return {
    status: res.status,
    details: { id: v1.id, versionId: v1.meta?.versionId, etag: res.headers.get('etag'), birthDate: v1.birthDate },
  };
});

await step('search', async () => {
  // Meridian counts matches only when asked (_total=accurate); the total is what we assert on.
  const bundle = await client.search({ resourceType: 'Patient', searchParams: { family, _total: 'accurate' } });
  return {
    status: http(bundle).status,
    details: {
      type: bundle.type,
      total: bundle.total,
      entries: entryIds(bundle),
      modes: (bundle.entry ?? []).map((e) => e.search?.mode),
      fullUrls: (bundle.entry ?? []).map((e) => e.fullUrl),
      selfLink: bundle.link?.find((l) => l.relation === 'self')?.url,
    },
  };
});

await step('search-post', async () => {
  need('patientId');
  // fhir-kit-client's postSearch sends POST [type]/_search with a form-encoded body.
  const bundle = await client.search({ resourceType: 'Patient', searchParams: { family }, options: { postSearch: true } });
  return { status: http(bundle).status, details: { type: bundle.type, entries: entryIds(bundle) } };
});

await step('create-observations', async () => {
  const id = need('patientId');
  const ids = [];
  const statuses = [];
  for (const [code, value] of [['8867-4', 72], ['8867-4', 80]]) {
    const created = await client.create({ resourceType: 'Observation', body: observation(`Patient/${id}`, code, value) });
    ids.push(`Observation/${created.id}`);
    statuses.push(http(created).status);
  }
  state.observations = ids;
  return { status: statuses[statuses.length - 1], details: { ids, statuses } };
});

await step('search-include', async () => {
  const id = need('patientId');
  need('observations');
  const bundle = await client.search({
    resourceType: 'Observation',
    searchParams: { subject: `Patient/${id}`, _include: 'Observation:subject', _total: 'accurate' },
  });
  return {
    status: http(bundle).status,
    details: {
      total: bundle.total,
      matches: entryIds(bundle, 'match').sort(),
      includes: entryIds(bundle, 'include'),
    },
  };
});

await step('search-paging', async () => {
  const id = need('patientId');
  need('observations');
  const first = await client.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${id}`, _count: 1, _total: 'accurate' } });
  const second = await client.nextPage({ bundle: first });
  expect(second !== undefined, 'first page has no next link');
  return {
    status: http(second).status,
    details: {
      total: first.total,
      pages: [entryIds(first), entryIds(second)],
      secondHasNext: (second.link ?? []).some((l) => l.relation === 'next'),
    },
  };
});

await step('history', async () => {
  const id = need('patientId');
  const bundle = await client.history({ resourceType: 'Patient', id });
  return {
    status: http(bundle).status,
    details: {
      type: bundle.type,
      total: bundle.total,
      versionIds: (bundle.entry ?? []).map((e) => e.resource?.meta?.versionId),
      methods: (bundle.entry ?? []).map((e) => e.request?.method),
    },
  };
});

await step('transaction', async () => {
  const patientUrn = `urn:uuid:${randomUUID()}`;
  const response = await client.transaction({
    body: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: patientUrn,
          resource: { resourceType: 'Patient', name: [{ family: `${family}Tx`, given: ['Bo'] }], gender: 'male' },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          fullUrl: `urn:uuid:${randomUUID()}`,
          resource: observation(patientUrn, '8310-5', 37),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    },
  });
  const locations = (response.entry ?? []).map((e) => e.response?.location);
  const patientRef = locations[0]?.split('/_history/')[0];
  const obsRef = locations[1]?.split('/_history/')[0];
  expect(patientRef && obsRef, `missing locations: ${JSON.stringify(locations)}`);
  // Read back through the client: the urn:uuid must have become the new Patient's id.
  const obs = await client.request(obsRef);
  return {
    status: http(response).status,
    details: {
      type: response.type,
      entryStatuses: (response.entry ?? []).map((e) => e.response?.status),
      locations,
      patientRef,
      observationSubject: obs.subject?.reference,
    },
  };
});

await step('conditional-create', async () => {
  const id = need('patientId');
  const criteria = `identifier=${identifier.system}|${identifier.value}`;
  // The Patient from 'create' carries this identifier, so the server must not create another.
  const existing = await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [identifier], name: [{ family }] },
    options: { headers: { 'If-None-Exist': criteria } },
  });
  const fresh = { system: identifier.system, value: `${identifier.value}-new` };
  const created = await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [fresh], name: [{ family: `${family}New` }] },
    options: { headers: { 'If-None-Exist': `identifier=${fresh.system}|${fresh.value}` } },
  });
  state.freshIdentifier = fresh;
  state.freshId = created.id;
  const check = await client.search({ resourceType: 'Patient', searchParams: { identifier: `${identifier.system}|${identifier.value}`, _total: 'accurate' } });
  return {
    status: http(existing).status,
    details: {
      matchedStatus: http(existing).status,
      matchedId: existing.id,
      expectedId: id,
      createdStatus: http(created).status,
      createdLocation: http(created).headers.get('location'),
      identifierTotal: check.total,
    },
  };
});

await step('conditional-update', async () => {
  const fresh = need('freshIdentifier');
  const updated = await client.update({
    resourceType: 'Patient',
    searchParams: { identifier: `${fresh.system}|${fresh.value}` },
    body: { resourceType: 'Patient', identifier: [fresh], name: [{ family: `${family}New` }], active: true },
  });
  const res = http(updated);
  return {
    status: res.status,
    details: { id: updated.id, expectedId: need('freshId'), versionId: updated.meta?.versionId, active: updated.active, etag: res.headers.get('etag') },
  };
});

await step('everything', async () => {
  const id = need('patientId');
  const bundle = await client.operation({ name: '$everything', resourceType: 'Patient', id, method: 'GET' });
  return { status: http(bundle).status, details: { type: bundle.type, entries: entryIds(bundle).sort() } };
});

await step('validate', async () => {
  const outcome = await client.operation({
    name: 'validate',
    resourceType: 'Patient',
    input: { resourceType: 'Patient', gender: 'not-a-gender' },
  });
  return {
    status: http(outcome).status,
    details: {
      resourceType: outcome.resourceType,
      severities: (outcome.issue ?? []).map((i) => i.severity),
      expressions: (outcome.issue ?? []).flatMap((i) => i.expression ?? []),
    },
  };
});

await step('patch', async () => {
  const id = need('patientId');
  const patched = await client.patch({
    resourceType: 'Patient',
    id,
    jsonPatch: [
      { op: 'replace', path: '/gender', value: 'other' },
      { op: 'add', path: '/telecom', value: [{ system: 'phone', value: '555-0100' }] },
    ],
  });
  const res = http(patched);
  return {
    status: res.status,
    details: {
      versionId: patched.meta?.versionId,
      etag: res.headers.get('etag'),
      gender: patched.gender,
      telecom: patched.telecom?.[0]?.value,
      birthDate: patched.birthDate,
    },
  };
});

await step('delete', async () => {
  const id = need('patientId');
  const deleted = await client.delete({ resourceType: 'Patient', id });
  return { status: http(deleted).status, details: { etag: http(deleted).headers.get('etag') } };
});

await step('read-deleted', async () => {
  const id = need('patientId');
  const outcome = await expectRejected(() => client.read({ resourceType: 'Patient', id }), 410);
  return { status: 410, details: { resourceType: outcome?.resourceType, code: outcome?.issue?.[0]?.code } };
});

const ok = steps.every((s) => s.ok);
process.stdout.write(`${JSON.stringify({ ok, baseUrl, steps }, null, 2)}\n`);
process.exitCode = ok ? 0 : 1;
