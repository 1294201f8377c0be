# RAD-75: an instance held by the community (--instance), as a DICOM
# file, with the community's HomeCommunityId
test = retrieve-instance
title = RAD-75: an instance of the community as a DICOM file, with its home
actor = responding-imaging-gateway
send = RAD-75
expect.status = Success
expect.error = none
expect.count.DocumentResponse = 1
expect.dicom = $instance
expect.home = $home
---
@{rad69}
@{docreq-home home=$home repo=$repo uid=$instance}
@{rad69-end}
