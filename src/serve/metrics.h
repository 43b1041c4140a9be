// The server's Prometheus metrics: counters, gauges and histograms with labels, exposed at
// /metrics in the text exposition format. Updated from the request and batch threads, so every
// update is a short critical section; nothing here allocates per update once a series exists.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sbe::serve {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Families are declared once, with their help text, before they are used.
  void DeclareCounter(const std::string& name, const std::string& help);
  void DeclareGauge(const std::string& name, const std::string& help);
  void DeclareHistogram(const std::string& name, const std::string& help, std::vector<double> bounds);

  void Add(const std::string& name, const Labels& labels, double value = 1);  // counter
  void Set(const std::string& name, const Labels& labels, double value);      // gauge
  void Observe(const std::string& name, const Labels& labels, double value);  // histogram

  // The text exposition format (version 0.0.4).
  std::string Render() const;
  // One series' value (a counter or gauge; a histogram's count), 0 when absent: for tests and logs.
  double Value(const std::string& name, const Labels& labels) const;

 private:
  struct Series {
    double value = 0;              // counter, gauge; a histogram's sum
    std::vector<uint64_t> counts;  // histogram: one per bound, then +Inf
  };
  struct Family {
    std::string type, help;
    std::vector<double> bounds;
    std::map<std::string, Series> series;  // key: rendered labels
  };
  Series& At(const std::string& name, const Labels& labels, const char* type);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

// Bounds of latency histograms, in seconds: 50 us to 10 s.
std::vector<double> LatencyBounds();

}  // namespace sbe::serve
