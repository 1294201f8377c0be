# RAD-69 asking Implicit VR Little Endian first, the syntax every source has
test = retrieve-implicit
title = RAD-69 asking Implicit VR Little Endian first, the syntax every source has
actor = imaging-source
send = RAD-69
expect.status = Success
expect.count.DocumentResponse = 1
expect.dicom = $instance
---
@{rad69}
@{docreq repo=$repo uid=$instance}
@{rad69-end ts=1.2.840.10008.1.2 ts2=1.2.840.10008.1.2}
