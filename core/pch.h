// The heavy headers every translation unit would otherwise parse again.
#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>
