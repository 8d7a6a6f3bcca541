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
