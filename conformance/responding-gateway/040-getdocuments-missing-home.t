# ITI-38 GetDocuments without home: XDSMissingHomeCommunityId
test = getdocuments-missing-home
title = ITI-38 GetDocuments without home: XDSMissingHomeCommunityId
actor = responding-gateway
send = ITI-38
needs = load
expect.status = Failure
expect.error = XDSMissingHomeCommunityId
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:r1')}
@{query-end}
