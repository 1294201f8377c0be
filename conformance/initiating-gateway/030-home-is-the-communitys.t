# Every object's home is the community's (--home)
test = home-is-the-communitys
title = Every object's home is the community's (--home)
actor = initiating-gateway
send = ITI-18
needs = load
expect.status = Success
expect.home = $home
---
@{query id=urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d}
@{slot name=$XDSDocumentEntryPatientId value='$patient'}
@{slot name=$XDSDocumentEntryStatus value=('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')}
@{query-end}
