# Every object's home is the gateway's homeCommunityId (--home)
test = home-is-the-gateways
title = Every object's home is the gateway's homeCommunityId (--home)
actor = responding-gateway
send = ITI-38
needs = load
expect.status = Success
expect.home = $home
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
