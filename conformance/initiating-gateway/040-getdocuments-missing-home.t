# ITI-18 GetDocuments without home: XDSMissingHomeCommunityId
test = getdocuments-missing-home
title = ITI-18 GetDocuments without home: XDSMissingHomeCommunityId
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = Failure
expect.error = XDSMissingHomeCommunityId
---
@{query id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:g1')}
@{query-end}
