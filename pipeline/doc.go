// Package pipeline holds the model-independent half of top-down pose
// estimation (SPEC.md section 9, ViTPose's test settings): person boxes to
// crop frames, the UDP crop warp with ImageNet normalisation, the flip test,
// the two heatmap decoders ("dark-udp" and "default") with their inverse
// transforms, mmpose's rescoring and OKS non-maximum suppression, image
// loading, and the pictures the command line draws.
//
// A runner uses it like this, once per image:
//
//	img, err := pipeline.LoadImage(path)              // packed 8-bit RGB
//	for each detection box b:
//	    if err := pipeline.CheckBox(b, img.W, img.H); err != nil { skip or fail }
//	    f := b.Frame(pipeline.InputW, pipeline.InputH) // centre and padded size
//	    pipeline.CropPerson(in, inFlipped, img, f, pipeline.InputW, pipeline.InputH)
//	    ... the model turns in and inFlipped into heatmaps hm and hmFlipped ...
//	    pipeline.MergeFlipped(hm, hmFlipped, pipeline.FlipPairs[:])
//	    pipeline.Decode(kps, hm, f, pipeline.DarkUDP)  // image coordinates
//	    score := pipeline.Rescore(kps, boxScore, pipeline.RescoreThreshold)
//	keep, err := pipeline.OKSNMS(poses, pipeline.NMSThreshold, coco.Sigmas[:])
//
// For pictures, DrawPoses draws skeletons over an image, HeatmapGrid tiles a
// person's heatmaps over its crop (CropImage turns a crop back into RGB),
// and WritePNG saves either atomically.
//
// Everything here is sequential and deterministic.
package pipeline
