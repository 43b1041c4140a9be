// Prometheus text exposition of the server's metrics.
#include "serve/metrics.h"

#include <fmt/format.h>

#include <algorithm>

#include "sbe/error.h"

namespace sbe::serve {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Render(const Labels& labels) {
  std::string s;
  for (const auto& [k, v] : labels) s += fmt::format("{}{}=\"{}\"", s.empty() ? "" : ",", k, Escape(v));
  return s;
}

std::string Number(double v) { return fmt::format("{}", v); }

}  // namespace

std::vector<double> LatencyBounds() {
  return {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10};
}

void Metrics::DeclareCounter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  families_[name] = Family{"counter", help, {}, {}};
}

void Metrics::DeclareGauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mutex_);
  families_[name] = Family{"gauge", help, {}, {}};
}

void Metrics::DeclareHistogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  families_[name] = Family{"histogram", help, std::move(bounds), {}};
}

Metrics::Series& Metrics::At(const std::string& name, const Labels& labels, const char* type) {
  const auto f = families_.find(name);
  if (f == families_.end() || f->second.type != type) Fail("metric {}: not declared as a {}", name, type);
  Series& s = f->second.series[serve::Render(labels)];
  if (f->second.type == std::string("histogram") && s.counts.empty()) s.counts.assign(f->second.bounds.size() + 1, 0);
  return s;
}

void Metrics::Add(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  At(name, labels, "counter").value += value;
}

void Metrics::Set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  At(name, labels, "gauge").value = value;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  Series& s = At(name, labels, "histogram");
  const std::vector<double>& bounds = families_[name].bounds;
  const size_t bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++s.counts[bucket];
  s.value += value;
}

double Metrics::Value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  const auto f = families_.find(name);
  if (f == families_.end()) return 0;
  const auto s = f->second.series.find(serve::Render(labels));
  if (s == f->second.series.end()) return 0;
  if (f->second.type != "histogram") return s->second.value;
  uint64_t n = 0;
  for (uint64_t c : s->second.counts) n += c;
  return static_cast<double>(n);
}

std::string Metrics::Render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    for (const auto& [labels, s] : f.series) {
      const std::string braces = labels.empty() ? "" : "{" + labels + "}";
      if (f.type != "histogram") {
        out += fmt::format("{}{} {}\n", name, braces, Number(s.value));
        continue;
      }
      uint64_t cumulative = 0;
      const std::string sep = labels.empty() ? "" : ",";
      for (size_t i = 0; i <= f.bounds.size(); ++i) {
        cumulative += s.counts[i];
        const std::string le = i < f.bounds.size() ? Number(f.bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
      }
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, Number(s.value), name, braces, cumulative);
    }
  }
  return out;
}

}  // namespace sbe::serve
