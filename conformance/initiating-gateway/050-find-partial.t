# A community the gateway cannot reach (--unavailable: one in its
# directory that does not answer) does not fail the query: the others'
# entries come with PartialSuccess and XDSUnavailableCommunity located at
# that community (ITI TF-2 3.38.4.1.3, NIST 15814).
test = find-partial
title = ITI-18 FindDocuments with a community down: PartialSuccess, the others' entries
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = PartialSuccess
expect.error = XDSUnavailableCommunity
expect.location = $unavailable
expect.count.ExtrinsicObject = 2
expect.home = present
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
