// Package track holds the model-independent parts of multi-person pose
// tracking in video: a Tracker that gives each person a track id across
// frames, the One-Euro filter that steadies keypoints, a Hungarian
// assignment solver, and the CLEAR MOT and IDF1 metrics. It knows no
// network: it takes the poses of each frame (pipeline.Pose) and returns ids;
// running a detector and the pose network is the caller's job.
//
// # Tracking (Tracker)
//
// The scheme is mmpose's pose tracker (mmpose/apis/inference_tracking.py:
// _track_by_oks, _track_by_iou) and rtmlib's PoseTracker, made
// order-independent and given a memory of K frames:
//
//   - A keypoint is confident when its score is >= KeypointThreshold (0.3)
//     and it is located (pipeline.Keypoint.Located).
//   - Similarity between a new pose and a live track's last matched pose:
//     when both have >= MinKeypoints (3) confident keypoints, their OKS
//     (pipeline.OKS: all keypoints, COCO sigmas, the mean of the two areas,
//     a pose's area being that of its padded crop frame, Frame.SW x Frame.SH,
//     as in the OKS-NMS of SPEC.md section 9); otherwise the IoU of their
//     boxes (see PoseBox).
//   - Greedy matching in two rounds. Round one takes every OKS pair with OKS >
//     OKSThreshold (0.3, mmpose's tracking_thr), sorted by OKS from high to
//     low (ties: lower pose index, then lower track id), and accepts a pair
//     when neither its pose nor its track is taken yet. Round two does the
//     same with the IoU pairs (IoU > IoUThreshold, 0.3, as mmpose and rtmlib)
//     among the poses and tracks left. mmpose instead lets each new pose in
//     input order take its best remaining track; sorting all pairs makes the
//     result independent of the order of the poses.
//   - A pose left unmatched starts a new track. Ids start at 1 and are never
//     reused.
//   - A track left unmatched is lost for this frame (UpdateResult.Lost: the
//     caller should run the detector on the next frame). It stays a candidate
//     for matching with its last pose; after MaxMissed (K = 10) frames in a
//     row without a match it ends (UpdateResult.Ended) and is forgotten.
//   - Each live track's box for the next frame (Tracker.Boxes) is PoseBox of
//     its last matched pose: the box spanned by its confident keypoints,
//     enlarged about its centre by pipeline.Padding (1.25), as rtmlib's
//     pose_to_bbox does, because keypoints do not reach a person's outline
//     (head top, hands, feet); with fewer than MinKeypoints confident
//     keypoints, the box the pose was estimated from (pipeline.Pose.Box).
//     Its width and height stay within a factor MaxBoxStep (1.2) of that
//     box's (LimitBoxStep), so that one poor pose cannot collapse or blow up
//     a track's box. The pose network then applies SPEC.md's box rule to it
//     (aspect 0.75, padding 1.25: pipeline.Box.Frame), as it does to a
//     detector's box.
//   - Matching and boxes use the raw keypoints; smoothing changes only the
//     poses returned.
//
// # Smoothing (OneEuro)
//
// With Config.Smooth every keypoint coordinate of every track has its own
// One-Euro filter (Casiez, Roussel and Vogel, CHI 2012), with mmpose's
// OneEuroFilter defaults (mmpose 0.x core/post_processing/temporal_filters):
// min_cutoff 0.004, beta 0.7, d_cutoff 1.0. mmpose's filter advances its
// time by one per frame, so those cutoffs are in cycles per frame; the
// Tracker therefore gives its filters times in frames: the frame's time
// stamp in seconds times Config.FrameRate (a dropped frame is a step of 2),
// or the frame number when FrameRate is 0. For a step te = t - t_prev > 0:
//
//	alpha(te, fc) = r / (r + 1),  r = 2 pi fc te
//	dx     = (x - x_prev) / te
//	dx_hat = alpha(te, d_cutoff) dx + (1 - alpha(te, d_cutoff)) dx_prev
//	fc     = min_cutoff + beta |dx_hat|
//	x_hat  = alpha(te, fc) x + (1 - alpha(te, fc)) x_prev
//
// and x_prev, dx_prev, t_prev become x_hat, dx_hat, t. The first value of a
// filter passes unchanged, with dx_prev = 0. A new track starts new filters.
//
// # Metrics (EvaluateMOT)
//
// Boxes are matched per frame when their IoU is at least 0.5, tested as
// py-motmetrics does: distance 1 - IoU <= 0.5 (IoU = intersection area over
// union area, boxes as x, y, w, h with no +1).
//
// CLEAR MOT (Bernardin and Stiefelhagen 2008), frame by frame as
// py-motmetrics' MOTAccumulator.update does it: (1) a ground-truth object
// that was matched in the previous frame keeps its hypothesis if that
// hypothesis is present and still within the distance; (2) the remaining
// objects and hypotheses are assigned by the Hungarian algorithm on the
// distances, pairs beyond the distance costing 2 x (largest remaining valid
// distance) + 1 and dropped from the result; a match of an object to a
// hypothesis other than the one it was last matched to (in any earlier
// frame) is an ID switch; (3) objects left are misses (FN), hypotheses left
// false positives (FP). Then
//
//	MOTA = 1 - (FN + FP + IDSW) / GT    (GT: ground-truth boxes in all frames)
//	MOTP = sum of the matches' distances 1 - IoU / number of matches
//
// IDF1 (Ristani et al. 2016): a one-to-one matching of ground-truth
// trajectories to predicted trajectories that maximises IDTP, the number of
// frames in which a matched pair's boxes are within the distance (the
// Hungarian algorithm on minus those counts). IDFN = GT - IDTP, IDFP =
// predicted boxes - IDTP, and
//
//	IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN),  IDP = IDTP / (IDTP + IDFP),  IDR = IDTP / (IDTP + IDFN)
//
// Everything here is sequential and deterministic.
package track
