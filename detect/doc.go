// Package detect is the RT-DETR (v1) object detector, exactly as Hugging Face
// transformers' RTDetrForObjectDetection with its rt_detr_resnet (ResNet-vd)
// backbone: published checkpoints (PekingU/rtdetr_r18vd ... r101vd) load as
// they are from a folder holding model.safetensors and config.json.
//
// The network reads top to bottom in Hugging Face's order and with its weight
// names: the ResNet-vd backbone (backbone.go), the hybrid encoder with its
// AIFI transformer layer and CCFM fusion (encoder.go), query selection
// (query.go) and the deformable-attention decoder (decoder.go, deform.go).
// Preprocessing (preprocess.go) reproduces RTDetrImageProcessor and
// postprocessing (postprocess.go) post_process_object_detection.
//
// BatchNorms are folded into the convolutions and each RepVGG block's two
// branches into one 3x3 convolution at load. The 3x3 stride-1
// convolutions of 16 to 256 input channels run as ops.Winograd3x3
// (Winograd's F(2x2, 3x3), about half the time of the direct GEMM; not
// bit-identical to it, within a small multiple of its float32 error), the
// others as ops.Conv2D (layers.go). Results are bit-identical for any
// GOMAXPROCS.
package detect
