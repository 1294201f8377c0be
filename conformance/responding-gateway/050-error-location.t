# A RegistryError's location is the gateway's homeCommunityId
test = error-location
title = A RegistryError's location is the gateway's homeCommunityId
actor = responding-gateway
send = ITI-38
needs = find-leafclass
expect.status = Failure
expect.error = XDSUnknownCommunity
expect.location = $home
---
@{query-home id=urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4 home=urn:oid:1.2.3.4.5.6.999}
@{slot name=$XDSDocumentEntryUniqueId value=('$uid:r1')}
@{query-end}
