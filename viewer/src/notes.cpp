#include "dyad/viewer/notes.hpp"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cctype>

#include "dyad/formats/text.hpp"
#include "dyad/viewer/model.hpp"

namespace dyad::viewer {

namespace {
std::string trim(const std::string& s) {
  auto a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  auto b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}
/// Tabs and line breaks would break the table: one space each, as the TSV writer does.
std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

std::optional<double> parse_clock(const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  double total = 0;
  std::size_t start = 0;
  int parts = 0;
  while (true) {
    auto colon = t.find(':', start);
    std::string part = t.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    auto v = formats::parse_number(part);
    if (!v || std::isnan(*v) || *v < 0 || part.empty()) return std::nullopt;
    if (colon != std::string::npos && part.find('.') != std::string::npos) return std::nullopt;  // decimals only in the seconds
    if (parts > 0 && *v >= 60) return std::nullopt;
    total = total * 60 + *v;
    ++parts;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts > 3) return std::nullopt;
  return total;
}

NoteResult make_note(NoteKind kind, double onset_s, double duration_s, const std::string& label, const std::string& text,
                     double session_s) {
  NoteResult r;
  if (!(onset_s >= 0) || onset_s > session_s + 1e-9) {
    r.error = "the time must lie inside the session (0 to " + format_clock(session_s, 1, session_s >= 3600) + ")";
    return r;
  }
  formats::Marker m;
  m.onset_s = onset_s;
  m.source = "viewer";
  const std::string t = one_line(trim(text));
  switch (kind) {
    case NoteKind::marker:
      if (t.empty() || t == "n/a") {
        r.error = "a marker needs a label, e.g. 'door knock' or 'baseline'";
        return r;
      }
      if (!(duration_s >= 0)) {
        r.error = "the duration must be 0 (a point in time) or more seconds (a phase)";
        return r;
      }
      m.label = t;
      m.duration_s = std::min(duration_s, std::max(0.0, session_s - onset_s));
      break;
    case NoteKind::note:
      if (t.empty()) {
        r.error = "a note needs text";
        return r;
      }
      m.label = "note";
      m.value = t;
      break;
    case NoteKind::clinical: {
      std::string l = trim(label);
      for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.error = formats::clinical_entry_error(l, t);
      if (!r.error.empty()) return r;
      m.label = l;
      m.value = t;
      break;
    }
  }
  r.marker = m;
  return r;
}

// ---------------------------------------------------------------------------------------------
NoteDialog::NoteDialog(double cursor_s, double session_s, QWidget* parent) : QDialog(parent), session_s_(session_s) {
  setWindowTitle("Add a note at the cursor");
  auto* lay = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  kind_ = new QComboBox(this);
  kind_->addItem("Marker (an event or a phase)");
  kind_->addItem("Note (free text)");
  kind_->addItem("Clinical entry (a reading or rating)");
  form->addRow("Kind", kind_);
  time_ = new QLineEdit(QString::fromStdString(format_clock(cursor_s, 1, session_s >= 3600)), this);
  time_->setToolTip("Session time: h:mm:ss, m:ss or seconds");
  form->addRow("Time", time_);
  lay->addLayout(form);

  pages_ = new QStackedWidget(this);
  {  // marker
    auto* w = new QWidget;
    auto* f = new QFormLayout(w);
    f->setContentsMargins(0, 0, 0, 0);
    marker_label_ = new QLineEdit(w);
    marker_label_->setPlaceholderText("e.g. door knock, tearful, baseline");
    f->addRow("Label", marker_label_);
    duration_ = new QDoubleSpinBox(w);
    duration_->setRange(0, std::max(0.0, session_s));
    duration_->setDecimals(1);
    duration_->setSuffix(" s");
    duration_->setToolTip("0: a point in time; more: a phase lasting this long");
    f->addRow("Duration", duration_);
    pages_->addWidget(w);
  }
  {  // note
    auto* w = new QWidget;
    auto* f = new QFormLayout(w);
    f->setContentsMargins(0, 0, 0, 0);
    note_text_ = new QLineEdit(w);
    note_text_->setPlaceholderText("what happened, in a line");
    f->addRow("Text", note_text_);
    pages_->addWidget(w);
  }
  {  // clinical
    auto* w = new QWidget;
    auto* f = new QFormLayout(w);
    f->setContentsMargins(0, 0, 0, 0);
    clinical_label_ = new QComboBox(w);
    for (auto& l : formats::clinical_labels()) clinical_label_->addItem(QString::fromStdString(l));
    clinical_label_->setToolTip("bp: blood pressure in mmHg; cadss: dissociation rating; hr, spo2, rr, temp, vas, pain, dose: one number");
    f->addRow("Entry", clinical_label_);
    clinical_value_ = new QLineEdit(w);
    f->addRow("Value", clinical_value_);
    pages_->addWidget(w);
    auto hint = [this] {
      clinical_value_->setPlaceholderText(clinical_label_->currentText() == "bp" ? "SYSTOLIC/DIASTOLIC, e.g. 120/80" : "a number, e.g. 12");
    };
    connect(clinical_label_, &QComboBox::currentIndexChanged, this, hint);
    hint();
  }
  lay->addWidget(pages_);
  hint_ = new QLabel("Saved to markers.tsv (source: viewer); nothing else in the session changes.", this);
  hint_->setStyleSheet("color: #6a6a70;");
  hint_->setWordWrap(true);
  lay->addWidget(hint_);
  error_ = new QLabel(this);
  error_->setStyleSheet("color: #b00020; font-weight: bold;");
  error_->setWordWrap(true);
  error_->hide();
  lay->addWidget(error_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText("Add");
  connect(buttons, &QDialogButtonBox::accepted, this, &NoteDialog::try_accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  lay->addWidget(buttons);
  connect(kind_, &QComboBox::currentIndexChanged, this, [this](int i) {
    pages_->setCurrentIndex(i);
    error_->hide();
    if (auto* e = text_edit()) e->setFocus();
  });
  setMinimumWidth(420);
  marker_label_->setFocus();
}

void NoteDialog::set_kind(NoteKind kind) { kind_->setCurrentIndex(static_cast<int>(kind)); }
NoteKind NoteDialog::kind() const { return static_cast<NoteKind>(kind_->currentIndex()); }

QLineEdit* NoteDialog::text_edit() const {
  switch (kind()) {
    case NoteKind::marker: return marker_label_;
    case NoteKind::note: return note_text_;
    case NoteKind::clinical: return clinical_value_;
  }
  return nullptr;
}

void NoteDialog::try_accept() {
  auto t = parse_clock(time_->text().toStdString());
  NoteResult r;
  if (!t)
    r.error = "the time '" + time_->text().toStdString() + "' is not a time such as 1:02:03.5, 2:03 or 75.2";
  else
    r = make_note(kind(), *t, duration_->value(), clinical_label_->currentText().toStdString(), text_edit()->text().toStdString(),
                  session_s_);
  if (!r.marker) {
    error_->setText(QString::fromStdString(r.error));
    error_->show();
    return;
  }
  marker_ = r.marker;
  accept();
}

}  // namespace dyad::viewer
