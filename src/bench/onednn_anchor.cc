#include "bench/onednn_anchor.h"

#include <omp.h>

#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "sbe/error.h"

namespace sbe {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct OneDnnLstm::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  struct Layer {
    dnnl::lstm_forward primitive;
    dnnl::memory src, weights_layer, weights_iter, bias, dst;
  };
  std::vector<Layer> layers;
  int64_t steps, batch, input, out_width;
  int threads;
  std::string impl_name;
};

OneDnnLstm::OneDnnLstm(const LstmModel& model, int64_t steps, int64_t batch, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  const LstmShape& s = model.shape;
  const int64_t H = s.hidden_size, D = s.directions(), G = kNumGates;
  m.steps = steps;
  m.batch = batch;
  m.input = s.input_size;
  m.out_width = D * H;
  m.threads = threads;
  if (threads > 0) omp_set_num_threads(threads);
  const auto direction = s.bidirectional ? dnnl::rnn_direction::bidirectional_concat
                         : s.reverse     ? dnnl::rnn_direction::unidirectional_right2left
                                         : dnnl::rnn_direction::unidirectional_left2right;
  for (int l = 0; l < s.num_layers; ++l) {
    const int64_t I = s.LayerInputSize(l);
    const dnnl::memory::desc src_md({steps, batch, I}, dt::f32, tag::tnc);
    const dnnl::memory::desc dst_md({steps, batch, D * H}, dt::f32, tag::tnc);
    const dnnl::memory::desc wl_any({1, D, I, G, H}, dt::f32, tag::any);
    const dnnl::memory::desc wi_any({1, D, H, G, H}, dt::f32, tag::any);
    const dnnl::memory::desc bias_md({1, D, G, H}, dt::f32, tag::ldgo);
    const dnnl::lstm_forward::desc desc(dnnl::prop_kind::forward_inference, direction, src_md,
                                        dnnl::memory::desc(), dnnl::memory::desc(), wl_any, wi_any,
                                        bias_md, dst_md, dnnl::memory::desc(), dnnl::memory::desc());
    const dnnl::lstm_forward::primitive_desc pd(desc, m.engine);
    if (l == 0) m.impl_name = pd.impl_info_str();
    // PyTorch's (4H, in) per direction is oneDNN's ldigo transposed; the bias is b_ih + b_hh.
    std::vector<float> wl(D * I * G * H), wi(D * H * G * H), bias(D * G * H, 0.0f);
    for (int d = 0; d < D; ++d) {
      const CellWeights& w = model.cell(l, d);
      for (int64_t r = 0; r < G * H; ++r) {
        for (int64_t i = 0; i < I; ++i) wl[(d * I + i) * G * H + r] = w.w_ih[r * I + i];
        for (int64_t i = 0; i < H; ++i) wi[(d * H + i) * G * H + r] = w.w_hh[r * H + i];
        if (s.has_bias) bias[d * G * H + r] = w.b_ih[r] + w.b_hh[r];
      }
    }
    Impl::Layer layer;
    layer.primitive = dnnl::lstm_forward(pd);
    dnnl::memory wl_user({{1, D, I, G, H}, dt::f32, tag::ldigo}, m.engine, wl.data());
    dnnl::memory wi_user({{1, D, H, G, H}, dt::f32, tag::ldigo}, m.engine, wi.data());
    layer.weights_layer = dnnl::memory(pd.weights_layer_desc(), m.engine);
    layer.weights_iter = dnnl::memory(pd.weights_iter_desc(), m.engine);
    dnnl::reorder(wl_user, layer.weights_layer).execute(m.stream, wl_user, layer.weights_layer);
    dnnl::reorder(wi_user, layer.weights_iter).execute(m.stream, wi_user, layer.weights_iter);
    layer.bias = dnnl::memory(bias_md, m.engine);
    std::memcpy(layer.bias.get_data_handle(), bias.data(), bias.size() * sizeof(float));
    layer.src = l == 0 ? dnnl::memory(src_md, m.engine) : m.layers.back().dst;
    layer.dst = dnnl::memory(dst_md, m.engine);
    m.layers.push_back(std::move(layer));
  }
  m.stream.wait();
}

OneDnnLstm::~OneDnnLstm() = default;

void OneDnnLstm::Run(const TensorF& x, TensorF* y) {
  Impl& m = *impl_;
  if (x.shape != std::vector<int64_t>{m.steps, m.batch, m.input}) {
    Fail("oneDNN LSTM: input of shape ({}) where ({}, {}, {}) was bound",
         fmt::join(x.shape, ", "), m.steps, m.batch, m.input);
  }
  if (m.threads > 0) omp_set_num_threads(m.threads);
  std::memcpy(m.layers[0].src.get_data_handle(), x.ptr(), x.numel() * sizeof(float));
  for (Impl::Layer& l : m.layers) {
    l.primitive.execute(m.stream, {{DNNL_ARG_SRC_LAYER, l.src},
                                   {DNNL_ARG_WEIGHTS_LAYER, l.weights_layer},
                                   {DNNL_ARG_WEIGHTS_ITER, l.weights_iter},
                                   {DNNL_ARG_BIAS, l.bias},
                                   {DNNL_ARG_DST_LAYER, l.dst}});
  }
  m.stream.wait();
  const std::vector<int64_t> shape{m.steps, m.batch, m.out_width};
  if (y->shape != shape) *y = TensorF(shape);
  std::memcpy(y->ptr(), m.layers.back().dst.get_data_handle(), y->data.size() * sizeof(float));
}

std::string OneDnnVersion() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
}

std::string OneDnnLstm::Describe() const {
  return fmt::format("oneDNN {} ({})", OneDnnVersion(), impl_->impl_name);
}

}  // namespace sbe
