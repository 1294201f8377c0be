/*
 * dcmfetch.h: fetching instances from the PACS (dicom.mode = proxy).
 * Being written: see dicom/dcmfetch.cc.
 */
#ifndef XDS_DCMFETCH_H
#define XDS_DCMFETCH_H
#endif
