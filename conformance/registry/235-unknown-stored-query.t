# An AdhocQuery id that is no stored query
test = unknown-stored-query
title = An AdhocQuery id that is no stored query
actor = registry
send = ITI-18
expect.status = Failure
expect.error = XDSUnknownStoredQuery
---
@{query id=urn:uuid:00000000-1111-2222-3333-444444444444}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
