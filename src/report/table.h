// A table of the report, rendered as Markdown (report.md) or aligned text (the terminal).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace sbe::report {

// A number as the report prints it: four significant digits, whole numbers from 1000 on.
inline std::string Num(double v) {
  if (v == 0) return "0";
  if (std::fabs(v) >= 1000) return fmt::format("{:.0f}", v);
  return fmt::format("{:.4g}", v);
}
inline std::string Num(std::optional<double> v) { return v ? Num(*v) : "–"; }
// A ratio: "23.7×" at or above 1, "1/208" below.
inline std::string Ratio(double v) { return v >= 1 ? fmt::format("{:.3g}×", v) : fmt::format("1/{:.3g}", 1 / v); }

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
  }
  bool empty() const { return rows_.empty(); }

  std::string Markdown() const {
    std::string out = "| " + Join(headers_, " | ") + " |\n|";
    for (size_t i = 0; i < headers_.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : rows_) out += "| " + Join(row, " | ") + " |\n";
    return out;
  }

  std::string Text() const {
    std::vector<size_t> widths;
    for (size_t i = 0; i < headers_.size(); ++i) {
      size_t w = Width(headers_[i]);
      for (const auto& row : rows_) w = std::max(w, Width(row[i]));
      widths.push_back(w);
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string out;
      for (size_t i = 0; i < cells.size(); ++i) {
        out += cells[i] + std::string(widths[i] - Width(cells[i]), ' ') + (i + 1 < cells.size() ? "  " : "");
      }
      return out + "\n";
    };
    std::string out = line(headers_);
    std::vector<std::string> rule;
    for (size_t w : widths) rule.push_back(std::string(w, '-'));
    out += line(rule);
    for (const auto& row : rows_) out += line(row);
    return out;
  }

 private:
  static std::string Join(const std::vector<std::string>& cells, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? sep : "") + cells[i];
    return out;
  }
  // Characters on the terminal, not bytes: UTF-8 continuation bytes take no column.
  static size_t Width(const std::string& s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  }

  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace sbe::report
