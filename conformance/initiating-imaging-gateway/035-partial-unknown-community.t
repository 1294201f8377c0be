# RAD-69 of an instance of a known community and one of an unknown
# community: PartialSuccess with XDSUnknownCommunity
test = partial-unknown-community
title = RAD-69 of a known and an unknown community: PartialSuccess, XDSUnknownCommunity
actor = initiating-imaging-gateway
send = RAD-69
expect.status = PartialSuccess
expect.error = XDSUnknownCommunity
expect.count.DocumentResponse = 1
expect.dicom = $instance
---
@{rad69}
@{docreq-home home=$home repo=$repo uid=$instance}
@{docreq-home home=urn:oid:1.2.3.4.5.6.999 repo=$repo uid=$uid:elsewhere}
@{rad69-end}
