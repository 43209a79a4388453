#pragma once
// The annotations of a synthetic scene made from its drawn objects: the class mask with
// VOC's void band, the deliberately imperfect saliency map, and the clicks.
#include <opencv2/core.hpp>
#include <vector>

#include "data/toy/toy_random.h"
#include "data/toy/toy_scene.h"

namespace wsss {

// Sets 255 in `label` on a band three pixels wide along every border of `owner` (the object
// each pixel belongs to, 0 for background): around every object, also where it overlaps
// another of its class, as VOC draws it.
void addVoidBand(cv::Mat& label, const cv::Mat& owner);

// Fills scene.saliency (and each object's saliency strength) from scene.instance: objects
// bright with soft edges, but small and camouflaged objects faint, some objects missed or
// misshapen, and the `distractors` (background things) salient.
void addSaliency(ToyRandom& random, ToyScene& scene, const std::vector<cv::Mat>& distractors);

// One click per object on a non-void pixel of its own, well inside it, and at times a click
// on the background away from every object.
void addClicks(ToyRandom& random, ToyScene& scene);

}  // namespace wsss
