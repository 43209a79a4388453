#include "models/backbone.h"

#include "models/resnet.h"
#include "models/scratch_net.h"

namespace wsss {

std::shared_ptr<BackboneImpl> makeBackbone(const ModelOptions& options) {
  if (options.backbone == "scratch") return std::make_shared<ScratchNetImpl>(options.scratchWidth);
  // resnetDepth() rejects an unknown name and lists the known ones.
  return std::make_shared<ResNetImpl>(options.backbone, options.outputStride);
}

}  // namespace wsss
