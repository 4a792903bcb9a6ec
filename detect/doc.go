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
package detect
