# Sésame, French (the default language). Texts that were literal in a
# template are HTML-ready; keep them byte-identical to the pages' wording.

## Layout (base.html)
langue = fr
evitement = Aller au contenu
produit = Connexion aux télé-services
pied-nav = Informations légales
pied-accessibilite-conforme = Accessibilité : conforme
pied-accessibilite-partiellement-conforme = Accessibilité : partiellement conforme
pied-accessibilite-non-conforme = Accessibilité : non conforme
pied-mentions = Mentions légales
pied-donnees = Données personnelles
pied-aide = Aide
pied-texte = Sésame — service d'authentification des télé-services de l'établissement.
pied-langue = Langue

## Profiles (the domain's labels)
profil-eleve = Élève
profil-parent = Parent
profil-personnel_education = Personnel de l'Éducation nationale
profil-personnel_collectivite = Personnel de collectivité territoriale
profil-invite = Invité

## Profile choice (profile.html)
profils-titre = Choix du profil
accroche = Vous souhaitez accéder à un service qui nécessite une authentification.
profils-legende = Vous souhaitez vous connecter avec le profil :
profils-memoriser = Mémoriser mon profil
valider = Valider

## Login (login.html)
erreur-prefixe = Erreur :
connexion-titre = Connexion ({ $profil })
connexion-profil-choisi = Profil choisi :
changer-profil = Changer de profil
connexion-consigne = Entrez votre identifiant et votre mot de passe.
identifiant = Identifiant
identifiant-oublie = identifiant oublié ?
mot-de-passe = Mot de passe
mot-de-passe-oublie = mot de passe oublié ?
se-connecter = Se connecter
connexion-amont = Ou connectez-vous avec
connexion-avec = Se connecter avec { $nom }
renvoi-question = Vous n'avez pas reçu le courriel, ou le lien ne fonctionne plus ?
renvoi-bouton = Renvoyer le courriel
premiere-visite = Première visite
premiere-parent = <strong>Vous êtes un Parent</strong><br>Vous avez reçu un ou plusieurs Code Activation Responsable (1 par enfant).
premiere-eleve = <strong>Vous êtes un Élève</strong><br>Vous avez reçu un Code Activation Élève.
premiere-creer = créez votre compte
premiere-autre = <strong>Profil { $profil }</strong><br>Votre compte vous est fourni par votre employeur ou par l'établissement qui vous accueille : vous n'avez pas de compte à créer ici. Pour toute question : { $aide }.
connexion-echec = Identifiant ou mot de passe incorrect.
connexion-attente = Votre compte est en attente de confirmation : ouvrez le lien du courriel reçu à sa création (pensez à regarder dans les indésirables).
profil-indisponible-titre = Profil non disponible
profil-indisponible-texte = La connexion avec ce profil n'est pas encore configurée pour cette académie.
trop-tentatives-connexion = Trop de tentatives de connexion depuis votre réseau. Veuillez réessayer dans quelques minutes.
retour = Retour

## Error summary (summary.html)
resume-une-erreur = Le formulaire contient une erreur
resume-erreurs = Le formulaire contient { $nombre } erreurs

## Expired forms
formulaire-expire-titre = Formulaire expiré
formulaire-expire-texte = Ce formulaire a expiré ou a déjà été envoyé. Veuillez recommencer.
recommencer = Recommencer

## Error pages (error.html)
erreur-retour-accueil = Retour à l'accueil
erreur-404-titre = Page introuvable
erreur-404-texte = La page demandée n'existe pas.
erreur-405-titre = Action non prévue
erreur-405-texte = Cette page ne s'utilise pas ainsi. Revenez à l'accueil et recommencez.
erreur-410-titre = Lien expiré
erreur-410-texte = Ce lien n'est plus valable. Recommencez la démarche depuis l'accueil.
erreur-413-titre = Envoi trop volumineux
erreur-413-texte = Les informations envoyées sont trop volumineuses. Revenez à la page précédente et recommencez.
erreur-400-titre = Formulaire illisible
erreur-400-texte = Le formulaire envoyé n'a pas pu être lu. Revenez à la page précédente et recommencez.
erreur-429-titre = Trop de tentatives
erreur-429-texte = Trop de demandes en peu de temps. Veuillez réessayer dans quelques minutes.
erreur-503-titre = Service momentanément indisponible
erreur-503-texte = Le service est momentanément indisponible. Veuillez réessayer dans quelques instants.
erreur-500-titre = Erreur
erreur-500-texte = Une erreur est survenue. Veuillez réessayer dans quelques instants.
erreur-autre-titre = Demande refusée
erreur-autre-texte = Cette demande ne peut pas aboutir. Revenez à l'accueil et recommencez.

## Form messages of the services (sesame-service, sesame-domain: FieldErrors, PasswordProblem, CodeError, the password rule)
erreur-identifiant-format = L'identifiant doit compter 3 à 64 caractères : lettres sans accent, chiffres, « . », « - » ou « _ ».
erreur-mdp-differents = Les deux mots de passe ne sont pas identiques.
erreur-courriel-invalide = Indiquez une adresse électronique valide (ex. prenom.nom@exemple.fr).
erreur-courriels-differents = Les deux adresses électroniques ne sont pas identiques.
erreur-code-compte-en-attente = Ce code d'activation a déjà servi à créer un compte qui attend sa confirmation : ouvrez le lien du courriel reçu, ou attendez une semaine pour recommencer.
erreur-code-compte-existant = Ce code d'activation a déjà servi à créer un compte. Connectez-vous avec votre identifiant, ou utilisez « identifiant oublié ? ».
erreur-identifiant-utilise = Cet identifiant est déjà utilisé : choisissez-en un autre.
erreur-eleve-non-identifie = Nous n'avons pas pu identifier l'élève avec ces informations. Vérifiez le prénom, la date de naissance et le code figurant sur le courrier.
erreur-aucun-enfant = Indiquez au moins un enfant : son prénom, sa date de naissance et votre code d'activation.
erreur-enfant-en-double = Cet enfant figure déjà sur une autre ligne.
erreur-codes-vous-plusieurs = Les codes de la colonne « Vous » doivent tous figurer sur des courriers qui vous sont adressés : ils désignent ici plusieurs personnes. Pour les enfants d'un autre responsable, créez un compte joint.
erreur-codes-autre-incoherents = Les codes de la colonne « Autre responsable » doivent tous figurer sur des courriers adressés à l'autre responsable légal des enfants.
erreur-joint-sans-autre = Pour un compte joint, indiquez aussi le code d'activation de l'autre responsable pour au moins un enfant (ou créez un compte personnel).
erreur-code-vient-de-servir = Ce code d'activation vient d'être utilisé pour créer un autre compte.
erreur-prenom-eleve = Indiquez le prénom de l'élève.
erreur-naissance = Indiquez la date de naissance au format jj/mm/aaaa.
erreur-code-a-servi-compte = Ce code d'activation a déjà servi à créer un compte.
erreur-rattacher-responsable = Seul un compte responsable peut rattacher un enfant.
erreur-rattacher-champs = Indiquez le prénom, la date de naissance (jj/mm/aaaa) et le Code Activation Responsable figurant sur le courrier.
erreur-code-autre-personne = Ce code figure sur un courrier adressé à une autre personne : chaque responsable rattache ses enfants avec ses propres codes.
erreur-enfant-signale = Vous avez signalé que cet enfant n'est pas le vôtre : l'établissement doit d'abord traiter ce signalement.
erreur-enfant-deja-rattache = Cet enfant est déjà rattaché à votre compte.
erreur-code-a-servi = Ce code d'activation a déjà servi.
erreur-identifiant-pris = Cet identifiant est déjà pris : choisissez-en un autre.
erreur-identifiant-identique = C'est déjà votre identifiant : indiquez celui que vous souhaitez.
erreur-identifiant-deja-choisi = Votre identifiant ne peut plus être modifié : il a été choisi à la création du compte ou lors d'un changement précédent.
erreur-mdp-actuel = Mot de passe actuel incorrect.
erreur-mdp-temporaire = Choisissez un mot de passe différent du mot de passe temporaire.
erreur-mdp-ancien = Choisissez un mot de passe différent de votre ancien mot de passe.
erreur-ligne-prenom = Ligne { $ligne } : indiquez le prénom de l'enfant.
erreur-ligne-naissance = Ligne { $ligne } : indiquez la date de naissance au format jj/mm/aaaa.
erreur-ligne-code = Ligne { $ligne } : votre code d'activation est mal saisi ({ $raison }).
erreur-ligne-code-autre = Ligne { $ligne } : le code de l'autre responsable est mal saisi ({ $raison }).
erreur-code-mal-saisi = Le code d'activation est mal saisi : { $raison }.
code-longueur = un code d'activation compte 13 caractères
code-caracteres = un code d'activation ne contient que des chiffres et des lettres
mdp-trop-court = Le mot de passe doit compter au moins { $nombre } caractères.
mdp-trop-long = Le mot de passe ne doit pas dépasser 128 caractères.
mdp-lettres-chiffres = Le mot de passe doit contenir des lettres ET des chiffres.
mdp-faible = Le mot de passe est trop faible : mêlez au moins 3 types de caractères (minuscules, majuscules, chiffres, caractères spéciaux), ou allongez-le.
mdp-courant = Ce mot de passe est trop courant ou trop simple : choisissez-en un autre.
mdp-devinable = Ce mot de passe est trop courant : il se devine vite (mot ou prénom courant, date, suite de touches…). Choisissez-en un plus long ou moins prévisible.
mdp-personnel = Ce mot de passe est trop proche de vos données personnelles (identifiant, prénom, date de naissance…).
mdp-regle = { $nombre } caractères minimum, chiffres ET lettres obligatoires
mdp-regle-cnil = { $nombre } caractères minimum, avec au moins 3 types de caractères parmi minuscules, majuscules, chiffres et caractères spéciaux (ou plus long)
