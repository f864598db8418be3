#pragma once
/// \file Notes added in the viewer: a marker, a note or a clinical entry at the cursor, checked
/// with the recorder's rules (formats::clinical_entry_error) and appended to markers.tsv with
/// source `viewer`. GUI thread only.
#include <QDialog>
#include <optional>
#include <string>

#include "dyad/formats/markers.hpp"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QStackedWidget;

namespace dyad::viewer {

enum class NoteKind { marker, note, clinical };

struct NoteResult {
  std::optional<formats::Marker> marker;
  std::string error;  ///< a sentence when the fields are not valid
};

/// The marker a note describes (source "viewer"), or why not:
/// - marker: `text` is its label (a duration > 0 makes it a phase), value n/a;
/// - note: label `note`, `text` is the value;
/// - clinical: `label` is one of formats::clinical_labels() (any case), `text` its value (`120/80`, `12`).
/// The onset must lie inside the session [0, session_s].
NoteResult make_note(NoteKind kind, double onset_s, double duration_s, const std::string& label, const std::string& text,
                     double session_s);

/// "1:02:03.5", "2:03", "75.25" -> seconds; nullopt when it is none of these.
std::optional<double> parse_clock(const std::string& text);

/// The Add note dialog: kind, time (the cursor's by default), and the fields of that kind; OK
/// stays enabled, and pressing it with invalid fields shows the reason instead of closing.
class NoteDialog : public QDialog {
  Q_OBJECT
 public:
  NoteDialog(double cursor_s, double session_s, QWidget* parent = nullptr);
  void set_kind(NoteKind kind);
  NoteKind kind() const;
  QLineEdit* time_edit() const noexcept { return time_; }
  QLineEdit* text_edit() const;  ///< the current kind's text field
  QComboBox* clinical_label() const noexcept { return clinical_label_; }
  QDoubleSpinBox* duration() const noexcept { return duration_; }
  QLabel* error_label() const noexcept { return error_; }
  /// Validates the fields; on success the marker is kept and the dialog accepted.
  void try_accept();
  const std::optional<formats::Marker>& marker() const noexcept { return marker_; }

 private:
  double session_s_;
  QComboBox* kind_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  QLineEdit* time_ = nullptr;
  QLineEdit* marker_label_ = nullptr;
  QDoubleSpinBox* duration_ = nullptr;
  QLineEdit* note_text_ = nullptr;
  QComboBox* clinical_label_ = nullptr;
  QLineEdit* clinical_value_ = nullptr;
  QLabel* hint_ = nullptr;
  QLabel* error_ = nullptr;
  std::optional<formats::Marker> marker_;
};

}  // namespace dyad::viewer
