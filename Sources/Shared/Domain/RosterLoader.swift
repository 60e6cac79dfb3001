import Foundation

/// Builds a ``Roster`` from its five files, one file after the other, checking each line's
/// values and its references to the files read before it. See
/// ``Roster/load(directory:templateIDs:)`` for the rules.
struct RosterLoader {
    static let establishmentsFile = "establishments.csv"
    static let evaluatorsFile = "evaluators.csv"
    static let commissionsFile = "commissions.csv"
    static let candidatesFile = "candidates.csv"
    static let registrationsFile = "registrations.csv"

    private let directory: URL
    private let templateIDs: Set<String>
    private let limits: RosterTable.Limits

    /// Each entity by key, with the line that defined it, for references and duplicates.
    private var establishments: [String: (line: Int, value: Roster.Establishment)] = [:]
    private var evaluators: [String: (line: Int, value: Roster.Evaluator)] = [:]
    private var commissions: [String: (line: Int, value: Roster.Commission)] = [:]
    private var candidates: [String: (line: Int, value: Roster.Candidate)] = [:]

    init(directory: URL, templateIDs: Set<String>, limits: RosterTable.Limits) {
        self.directory = directory
        self.templateIDs = templateIDs
        self.limits = limits
    }

    mutating func load() throws(RosterError) -> Roster {
        let establishmentList = try loadEstablishments()
        let evaluatorList = try loadEvaluators()
        let commissionList = try loadCommissions()
        let candidateList = try loadCandidates()
        let registrationList = try loadRegistrations()
        return Roster(
            establishments: establishmentList,
            evaluators: evaluatorList,
            commissions: commissionList,
            candidates: candidateList,
            registrations: registrationList
        )
    }

    private func table(_ file: String, _ columns: [String]) throws(RosterError) -> RosterTable {
        try RosterTable.read(file, in: directory, columns: columns, limits: limits)
    }

    private mutating func loadEstablishments() throws(RosterError) -> [Roster.Establishment] {
        let table = try table(Self.establishmentsFile, ["uai", "name", "city"])
        var list: [Roster.Establishment] = []
        for row in table.rows {
            let uaiCell = table.cell(row, "uai")
            let uai = try uaiCell.uai()
            if let first = establishments[uai] {
                throw uaiCell.failure("L'UAI « \(uai) » figure déjà ligne \(first.line) : chaque établissement ne doit apparaître qu'une fois.")
            }
            let establishment = Roster.Establishment(
                uai: uai,
                name: try table.cell(row, "name").requiredText(),
                city: try table.cell(row, "city").requiredText()
            )
            establishments[uai] = (row.line, establishment)
            list.append(establishment)
        }
        return list
    }

    private mutating func loadEvaluators() throws(RosterError) -> [Roster.Evaluator] {
        let table = try table(Self.evaluatorsFile, ["id", "last_name", "first_name", "email", "establishment", "role"])
        var list: [Roster.Evaluator] = []
        for row in table.rows {
            let idCell = table.cell(row, "id")
            let id = try idCell.identifier()
            if let first = evaluators[id] {
                throw idCell.failure("L'identifiant « \(id) » figure déjà ligne \(first.line) : chaque évaluateur doit avoir un identifiant différent.")
            }
            let lastName = try table.cell(row, "last_name").requiredText()
            let firstName = try table.cell(row, "first_name").requiredText()
            let email = try table.cell(row, "email").email()
            let role = try table.cell(row, "role").role()
            let establishmentCell = table.cell(row, "establishment")
            if role != .academy, establishmentCell.text.isEmpty {
                throw establishmentCell.failure("Établissement manquant : indiquez l'UAI de l'établissement de l'évaluateur (seul le rôle academy peut n'en avoir aucun).")
            }
            let establishment = try establishmentCell.optionalUAI()
            if let establishment { try requireEstablishment(establishment, establishmentCell) }
            let evaluator = Roster.Evaluator(
                id: id, lastName: lastName, firstName: firstName, email: email,
                establishment: establishment, role: role
            )
            evaluators[id] = (row.line, evaluator)
            list.append(evaluator)
        }
        return list
    }

    private mutating func loadCommissions() throws(RosterError) -> [Roster.Commission] {
        let table = try table(Self.commissionsFile, ["id", "establishment", "template", "session", "members"])
        var list: [Roster.Commission] = []
        for row in table.rows {
            let idCell = table.cell(row, "id")
            let id = try idCell.identifier()
            if let first = commissions[id] {
                throw idCell.failure("L'identifiant « \(id) » figure déjà ligne \(first.line) : chaque commission doit avoir un identifiant différent.")
            }
            let establishmentCell = table.cell(row, "establishment")
            let establishment = try establishmentCell.uai()
            try requireEstablishment(establishment, establishmentCell)
            let template = try table.cell(row, "template").template(in: templateIDs)
            let session = try table.cell(row, "session").session()
            let membersCell = table.cell(row, "members")
            let members = try membersCell.identifierList(of: "membres")
            for member in members {
                guard let evaluator = evaluators[member]?.value else {
                    throw membersCell.failure("Évaluateur « \(member) » inconnu : il doit figurer dans \(Self.evaluatorsFile).")
                }
                guard evaluator.role == .teacher || evaluator.role == .professional else {
                    throw membersCell.failure("« \(member) » a le rôle \(evaluator.role.rawValue) : une commission ne compte que des évaluateurs de rôle teacher ou professional.")
                }
            }
            let commission = Roster.Commission(
                id: id, establishment: establishment, template: template, session: session, members: members
            )
            commissions[id] = (row.line, commission)
            list.append(commission)
        }
        return list
    }

    private mutating func loadCandidates() throws(RosterError) -> [Roster.Candidate] {
        let table = try table(Self.candidatesFile, ["number", "last_name", "first_name", "establishment", "internship_weeks"])
        var list: [Roster.Candidate] = []
        for row in table.rows {
            let numberCell = table.cell(row, "number")
            let number = try numberCell.identifier()
            if let first = candidates[number] {
                throw numberCell.failure("Le numéro « \(number) » figure déjà ligne \(first.line) : chaque candidat doit avoir un numéro différent.")
            }
            let lastName = try table.cell(row, "last_name").requiredText()
            let firstName = try table.cell(row, "first_name").requiredText()
            let establishmentCell = table.cell(row, "establishment")
            let establishment = try establishmentCell.uai()
            try requireEstablishment(establishment, establishmentCell)
            let candidate = Roster.Candidate(
                number: number, lastName: lastName, firstName: firstName, establishment: establishment,
                internshipWeeks: try table.cell(row, "internship_weeks").internshipWeeks()
            )
            candidates[number] = (row.line, candidate)
            list.append(candidate)
        }
        return list
    }

    private func loadRegistrations() throws(RosterError) -> [Roster.Registration] {
        let table = try table(Self.registrationsFile, ["candidate", "commission"])
        var list: [Roster.Registration] = []
        /// Line of each registration, by candidate and commission.
        var lines: [Roster.Registration: Int] = [:]
        /// Line and commission of each registration, by candidate, template and session.
        var epreuves: [[String]: (line: Int, commission: String)] = [:]
        for row in table.rows {
            let candidateCell = table.cell(row, "candidate")
            let number = try candidateCell.identifier()
            guard let candidate = candidates[number]?.value else {
                throw candidateCell.failure("Candidat « \(number) » inconnu : il doit figurer dans \(Self.candidatesFile).")
            }
            let commissionCell = table.cell(row, "commission")
            let commissionID = try commissionCell.identifier()
            guard let commission = commissions[commissionID]?.value else {
                throw commissionCell.failure("Commission « \(commissionID) » inconnue : elle doit figurer dans \(Self.commissionsFile).")
            }
            guard commission.establishment == candidate.establishment else {
                throw commissionCell.failure("Le candidat « \(number) » relève de l'établissement \(candidate.establishment) mais la commission « \(commissionID) » est celle de \(commission.establishment) : un candidat est évalué par une commission de son établissement.")
            }
            let registration = Roster.Registration(candidate: number, commission: commissionID)
            if let first = lines[registration] {
                throw commissionCell.failure("Inscription déjà présente ligne \(first) : supprimez cette ligne.")
            }
            let epreuve = [number, commission.template, commission.session]
            if let first = epreuves[epreuve] {
                throw commissionCell.failure("Le candidat « \(number) » est déjà inscrit ligne \(first.line) à l'épreuve \(commission.template), session \(commission.session), devant la commission « \(first.commission) » : une seule commission par épreuve et par session.")
            }
            lines[registration] = row.line
            epreuves[epreuve] = (row.line, commissionID)
            list.append(registration)
        }
        return list
    }

    private func requireEstablishment(_ uai: String, _ cell: RosterCell) throws(RosterError) {
        guard establishments[uai] != nil else {
            throw cell.failure("Établissement « \(uai) » inconnu : il doit figurer dans \(Self.establishmentsFile).")
        }
    }
}
