"""Who uses this computer: log in to the central server, or work on this computer only.

Shown at start-up only when the database does not already say who acts
(a station logged in before keeps working offline with its last login,
without this dialog). Logging in talks to the server, so it runs off the
GUI thread; the dialog stays responsive and shows the server's sentence if
the login is refused. The organization field appears only when the server
asks for it: the e-mail and password fit accounts in several organizations.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from boxoffice.errors import BoxOfficeError, OrganizationChoiceError, Problem, ValidationError
from boxoffice.services import organization
from boxoffice.store.database import Store
from ui import settings as S
from ui.ops import Ops, describe_failure
from ui.style import ERROR_COLOR


class LoginDialog(QDialog):
    """Accepted once someone is logged in (``email`` is then who acts); rejected to quit."""

    def __init__(self, store: Store, ops: Ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle("Box office — who is working here?")
        self.store = store
        self.ops = ops
        self.email: str | None = None
        qs = S.qsettings()

        self.server_url = QLineEdit(S.SERVER_URL.read(qs))
        self.server_url.setPlaceholderText("http://central:8750")
        self.server_email = QLineEdit()
        self.server_email.setPlaceholderText("you@example.org")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.station = QLineEdit(S.STATION_NAME.read(qs))
        self.station.setPlaceholderText("Box office 2")
        self.org_choice = QComboBox()
        self.org_choice.setObjectName("loginOrganization")
        server = QWidget()
        self.server_form = form = QFormLayout(server)
        form.addRow(QLabel("Log in to your organization's central server. Afterwards this computer keeps "
                           "working when the network is down, and syncs when it is back."))
        form.addRow("Server", self.server_url)
        form.addRow("E-mail", self.server_email)
        form.addRow("Password", self.password)
        form.addRow("Organization", self.org_choice)
        form.setRowVisible(self.org_choice, False)  # until the server asks which one
        form.addRow("This station", self.station)

        self.org_name = QLineEdit()
        self.org_name.setPlaceholderText("Harbour Days BV")
        self.local_email = QLineEdit()
        self.local_email.setPlaceholderText("you@example.org")
        local = QWidget()
        local_form = QFormLayout(local)
        local_form.addRow(QLabel("No central server: start a new organization on this computer, "
                                 "with you as its owner."))
        local_form.addRow("Organization", self.org_name)
        local_form.addRow("Your e-mail", self.local_email)

        self.tabs = QTabWidget()
        self.tabs.addTab(server, "Central server")
        self.tabs.addTab(local, "This computer only")
        self.message = QLabel()
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Log in")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.tabs.currentChanged.connect(
            lambda i: self.ok.setText("Log in" if i == 0 else "Start"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        self.message.clear()
        if self.tabs.currentIndex() == 0:
            self._log_in()
        else:
            self._start_local()

    def _log_in(self) -> None:
        url, email = self.server_url.text().strip(), self.server_email.text().strip()
        password, station = self.password.text(), self.station.text().strip() or None
        org_choice = self.org_choice.currentText() or None
        missing = [name for name, value in (("the server", url), ("your e-mail", email),
                                            ("your password", password)) if not value]
        if missing:
            self.message.setText("Fill in " + ", ".join(missing) + ".")
            return
        store = self.store
        self.ok.setEnabled(False)
        self.message.setText("Logging in and fetching your organization's data…")
        self.message.setStyleSheet("color: #555;")

        def work() -> str:
            from boxoffice.sync.client import login

            return login(store, url, email, password, station=station,
                         organization=org_choice).login.email

        def done(who: str) -> None:
            qs = S.qsettings()
            S.SERVER_URL.write(qs, url)
            if station:
                S.STATION_NAME.write(qs, station)
            self.email = who
            self.accept()

        self.ops.spawn("log in", work, done, self._failed, owner=self)

    def _start_local(self) -> None:
        name, email = self.org_name.text().strip(), self.local_email.text().strip()
        store = self.store

        def work() -> str:
            problems = [Problem(field, text) for field, value, text in (
                ("name", name, "Name the organization."), ("email", email, "Give your e-mail."))
                if not value]
            if problems:
                raise ValidationError(problems)
            _org, owner = organization.create_organization(store, name, email)
            organization.use_member(store, owner.email)
            return owner.email

        def done(who: str) -> None:
            self.email = who
            self.accept()

        self.ok.setEnabled(False)
        self.ops.run("start organization", work, done, self._failed, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        if isinstance(exc, OrganizationChoiceError):
            self.org_choice.clear()
            self.org_choice.addItems(exc.organizations)
            self.server_form.setRowVisible(self.org_choice, True)
            self.message.setText(exc.message)
        elif isinstance(exc, ValidationError):
            self.message.setText(" ".join(p.message for p in exc.problems))
        elif isinstance(exc, BoxOfficeError):
            self.message.setText(exc.message)
        else:
            self.message.setText(describe_failure(exc))
